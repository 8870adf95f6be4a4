import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startTestServer } from "../../../test/server/test-harness.js";
import { releasePath } from "./release-path.js";

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** rawGet sends the path byte for byte: fetch() would normalise `..` and `%2e%2e` away before sending. */
function rawGet(url: string, path: string, headers: Record<string, string> = {}, method = "GET") {
  return new Promise<RawResponse>((resolve, reject) => {
    const req = request(`${url}/`, { path, headers, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

const INIT_SH = "#!/bin/sh\necho starting etcd\n";
const TARBALL = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6]);

describe("releasePath", () => {
  const cases: { name: string; raw: string; segments?: string[] }[] = [
    { name: "a plain path", raw: "/scripts/etcd/init.sh", segments: ["scripts", "etcd", "init.sh"] },
    { name: "encoded slashes inside the root", raw: "/scripts%2Fetcd", segments: ["scripts", "etcd"] },
    { name: "a double-encoded dot stays a name", raw: "/%252e%252e", segments: ["%2e%2e"] },
    { name: "dot-dot", raw: "/../x" },
    { name: "encoded dot-dot", raw: "/%2e%2e/x" },
    { name: "encoded dot-dot and slash", raw: "/a%2F..%2F..%2Fx" },
    { name: "a single dot", raw: "/./x" },
    { name: "a backslash", raw: "/..%5Cx" },
    { name: "a NUL byte", raw: "/x%00.sh" },
    { name: "broken percent-encoding", raw: "/%E0%A4%A" },
  ];
  it.each(cases)("$name", ({ raw, segments }) => {
    expect(releasePath(raw)).toEqual(segments ? { ok: true, segments } : { ok: false });
  });
});

describe("release tree", () => {
  let base: string;
  let t: RunningServer;
  let listing: RunningServer;
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "release-tree-"));
    const root = join(base, "release");
    await mkdir(join(root, "scripts", "etcd"), { recursive: true });
    await mkdir(join(root, "apps", "etcd"), { recursive: true });
    await mkdir(join(root, "configs", "templates"), { recursive: true });
    await writeFile(join(root, "scripts", "etcd", "init.sh"), INIT_SH);
    await writeFile(join(root, "apps", "etcd", "app.tar.gz"), TARBALL);
    await writeFile(join(root, "configs", "templates", "etcd.yaml"), "name: etcd\n");
    await writeFile(join(root, ".env"), "SECRET=1\n");
    await writeFile(join(base, "outside.txt"), "outside the root\n");
    await mkdir(join(base, "elsewhere"));
    await writeFile(join(base, "elsewhere", "passwd"), "root:x:0:0\n");
    await symlink(join(base, "outside.txt"), join(root, "link-out.txt"));
    await symlink(join(base, "elsewhere"), join(root, "escape"));
    await symlink(join(root, "scripts", "etcd", "init.sh"), join(root, "latest-init.sh"));
    await symlink(join(root, ".env"), join(root, "latest.env"));
    t = await startTestServer({ releaseDir: root });
    listing = await startTestServer({ releaseDir: root, listDirectories: true });
  });
  afterAll(async () => {
    await t.server.close();
    await listing.server.close();
    await rm(base, { recursive: true, force: true });
  });

  const files: { name: string; path: string; type: string; body: Buffer | string }[] = [
    { name: "an init script", path: "/scripts/etcd/init.sh", type: "application/x-sh", body: INIT_SH },
    { name: "an app tarball", path: "/apps/etcd/app.tar.gz", type: "application/gzip", body: TARBALL },
    {
      name: "a config template",
      path: "/configs/templates/etcd.yaml",
      type: "text/yaml",
      body: "name: etcd\n",
    },
    { name: "a symlink inside the root", path: "/latest-init.sh", type: "application/x-sh", body: INIT_SH },
    {
      name: "encoded slashes inside the root",
      path: "/scripts%2Fetcd%2Finit.sh",
      type: "application/x-sh",
      body: INIT_SH,
    },
  ];
  it.each(files)("serves $name with its content type, ETag and Last-Modified", async ({
    path,
    type,
    body,
  }) => {
    const res = await rawGet(t.url, path);
    expect(res.status).toBe(200);
    expect(String(res.headers["content-type"])).toMatch(new RegExp(`^${type}`));
    expect(res.headers.etag).toMatch(/^W?\/?".+"$/);
    expect(res.headers["last-modified"]).toBeTruthy();
    expect(res.headers["accept-ranges"]).toBe("bytes");
    expect(res.body.equals(Buffer.from(body))).toBe(true);
  });

  it("answers HEAD with the headers and no body", async () => {
    const res = await rawGet(t.url, "/apps/etcd/app.tar.gz", {}, "HEAD");
    expect(res.status).toBe(200);
    expect(res.headers["content-length"]).toBe(String(TARBALL.length));
    expect(res.body.length).toBe(0);
  });

  it("answers 304 to If-None-Match with the current ETag and to If-Modified-Since", async () => {
    const first = await rawGet(t.url, "/scripts/etcd/init.sh");
    const byEtag = await rawGet(t.url, "/scripts/etcd/init.sh", {
      "if-none-match": String(first.headers.etag),
    });
    expect(byEtag.status).toBe(304);
    expect(byEtag.body.length).toBe(0);
    const byDate = await rawGet(t.url, "/scripts/etcd/init.sh", {
      "if-modified-since": String(first.headers["last-modified"]),
    });
    expect(byDate.status).toBe(304);
    const stale = await rawGet(t.url, "/scripts/etcd/init.sh", { "if-none-match": '"stale"' });
    expect(stale.status).toBe(200);
  });

  it("answers a Range request with 206 and just those bytes, and 416 past the end", async () => {
    const res = await rawGet(t.url, "/apps/etcd/app.tar.gz", { range: "bytes=2-5" });
    expect(res.status).toBe(206);
    expect(res.headers["content-range"]).toBe(`bytes 2-5/${TARBALL.length}`);
    expect(res.body.equals(TARBALL.subarray(2, 6))).toBe(true);
    const past = await rawGet(t.url, "/apps/etcd/app.tar.gz", { range: "bytes=1000-2000" });
    expect(past.status).toBe(416);
    expect(JSON.parse(past.body.toString())).toMatchObject({ error: "range_not_satisfiable" });
  });

  it("answers 412 when If-Match or If-Unmodified-Since does not hold, and serves when they do", async () => {
    const first = await rawGet(t.url, "/scripts/etcd/init.sh");
    const etag = String(first.headers.etag);
    expect((await rawGet(t.url, "/scripts/etcd/init.sh", { "if-match": '"other"' })).status).toBe(412);
    expect((await rawGet(t.url, "/scripts/etcd/init.sh", { "if-match": `"other", ${etag}` })).status).toBe(
      200,
    );
    const before = new Date(Date.parse(String(first.headers["last-modified"])) - 1000).toUTCString();
    expect((await rawGet(t.url, "/scripts/etcd/init.sh", { "if-unmodified-since": before })).status).toBe(
      412,
    );
    const since = String(first.headers["last-modified"]);
    expect((await rawGet(t.url, "/scripts/etcd/init.sh", { "if-unmodified-since": since })).status).toBe(200);
  });

  it("sends a range only while If-Range still names the file, and says the size in a 416", async () => {
    const full = await rawGet(t.url, "/apps/etcd/app.tar.gz");
    const current = await rawGet(t.url, "/apps/etcd/app.tar.gz", {
      range: "bytes=-3",
      "if-range": String(full.headers.etag),
    });
    expect(current.status).toBe(206);
    expect(current.body.equals(TARBALL.subarray(-3))).toBe(true);
    const changed = await rawGet(t.url, "/apps/etcd/app.tar.gz", { range: "bytes=-3", "if-range": '"old"' });
    expect(changed.status).toBe(200);
    expect(changed.body.equals(TARBALL)).toBe(true);
    const past = await rawGet(t.url, "/apps/etcd/app.tar.gz", { range: "bytes=1000-" });
    expect(past.headers["content-range"]).toBe(`bytes */${TARBALL.length}`);
  });

  it("serves a file changed on disk with its new bytes and a new ETag", async () => {
    const path = join(base, "release", "scripts", "etcd", "changing.sh");
    await writeFile(path, "echo one\n");
    const before = await rawGet(t.url, "/scripts/etcd/changing.sh");
    await writeFile(path, "echo two, longer\n");
    const after = await rawGet(t.url, "/scripts/etcd/changing.sh");
    expect(before.body.toString()).toBe("echo one\n");
    expect(after.body.toString()).toBe("echo two, longer\n");
    expect(after.headers.etag).not.toBe(before.headers.etag);
    expect((await rawGet(t.url, "/scripts/etcd/changing.sh", {}, "HEAD")).headers["content-length"]).toBe(
      String(after.body.length),
    );
  });

  const traversals = [
    "/../outside.txt",
    "/scripts/../../outside.txt",
    "/%2e%2e/outside.txt",
    "/%2E%2E%2Foutside.txt",
    "/scripts%2F..%2F..%2Foutside.txt",
    "/scripts/etcd/..%2F..%2F..%2Foutside.txt",
    "/..%5Coutside.txt",
    "/scripts/etcd/init.sh%00.txt",
  ];
  it.each(traversals)("refuses the traversal %s with 400", async (path) => {
    const res = await rawGet(t.url, path);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body.toString())).toEqual({
      error: "bad_path",
      message: "the path is not inside the release tree",
    });
  });

  const hidden: { name: string; path: string }[] = [
    { name: "a symlinked file leaving the root", path: "/link-out.txt" },
    { name: "a file under a symlinked directory leaving the root", path: "/escape/passwd" },
    { name: "a dotfile", path: "/.env" },
    { name: "a symlink inside the root to a dotfile", path: "/latest.env" },
    { name: "a missing file", path: "/apps/etcd/missing.tar.gz" },
    { name: "a directory (listing is off)", path: "/scripts/" },
    { name: "the root directory (listing is off)", path: "/" },
  ];
  it.each(hidden)("answers 404 for $name", async ({ path }) => {
    const res = await rawGet(t.url, path);
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body.toString())).toEqual({
      error: "not_found",
      message: `nothing is served at ${path}`,
    });
    expect(res.body.toString()).not.toContain("root:x");
    expect(res.body.toString()).not.toContain("SECRET");
  });

  it("lists a directory only when configured, without dotfiles", async () => {
    const res = await rawGet(listing.url, "/scripts");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(res.body.toString()).toContain('<a href="/scripts/etcd/">etcd/</a>');
    const root = (await rawGet(listing.url, "/")).body.toString();
    expect(root).toContain("apps/");
    expect(root).not.toContain('href="/.env"');
  });

  it("still routes the API and status page beside the tree", async () => {
    expect((await rawGet(t.url, "/v1/gitops/repos")).status).toBe(200);
    expect((await rawGet(t.url, "/ui")).status).toBe(200);
  });
});
