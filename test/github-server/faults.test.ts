import { createRequire } from "node:module";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { extract } from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gitText } from "./git.js";
import { createGitRepo, type GitRepo } from "./git-repo.js";
import { createGitHubServer, type GitHubTestServer } from "./server.js";

const TOKEN = "ghp_faultstesttoken00000000000000000000";
const TARBALL = "/repos/{owner}/{repo}/tarball/{ref}";

interface Described {
  readonly responses: Record<string, { headers?: Record<string, { schema: { type: string } }> }>;
}
const openapi = createRequire(import.meta.url)("@octokit/openapi/generated/api.github.com.deref.json") as {
  paths: Record<string, { get: Described }>;
};

async function tarPaths(bytes: ArrayBuffer): Promise<string[]> {
  const entries = extract();
  Readable.from([Buffer.from(bytes)])
    .pipe(createGunzip())
    .pipe(entries);
  const paths: string[] = [];
  for await (const entry of entries) {
    if (entry.header.type === "file") paths.push(entry.header.name);
    entry.resume();
  }
  return paths.sort();
}

describe("GitHub test server: tarballs and injected faults", () => {
  let server: GitHubTestServer;
  let repo: GitRepo;
  let head: string;
  const get = (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, { ...init, headers: { authorization: `token ${TOKEN}` } });

  beforeAll(async () => {
    repo = await createGitRepo();
    head = await repo.commit({
      "k8s/a.yaml": "kind: A\n",
      "k8s/deep/b.yaml": "kind: B\n",
      "README.md": "hi\n",
    });
    server = await createGitHubServer();
    server.addRepo({ owner: "acme", repo: "deploy", dir: repo.dir, token: TOKEN });
  });
  afterAll(async () => {
    await server.close();
    await repo.remove();
  });

  it("answers a tarball with GitHub's 302 to a codeload URL whose archive is git's, under owner-repo-sha7/", async () => {
    server.resetRequests();
    const redirect = await get(`/repos/acme/deploy/tarball/${head}`, { redirect: "manual" });
    const described = openapi.paths[TARBALL]?.get.responses;
    expect(Object.keys(described ?? {})).toContain(String(redirect.status));
    for (const [name, header] of Object.entries(described?.[String(redirect.status)]?.headers ?? {}))
      expect(typeof redirect.headers.get(name), name).toBe(header.schema.type);
    const location = redirect.headers.get("location") ?? "";
    expect(location).toMatch(
      new RegExp(`^${server.url}/_codeload/acme/deploy/legacy\\.tar\\.gz/${head}\\?token=`),
    );

    const download = await fetch(location);
    expect(download.headers.get("content-type")).toBe("application/x-gzip");
    const listed = (await gitText(repo.dir, ["ls-tree", "-r", "--name-only", head])).split("\n");
    const prefix = `acme-deploy-${head.slice(0, 7)}/`;
    expect(await tarPaths(await download.arrayBuffer())).toEqual(listed.map((path) => prefix + path).sort());
    expect(server.requests.map((record) => [record.status, record.charged])).toEqual([
      [302, true],
      [200, false],
    ]);
    expect((await fetch(location.replace(/token=\w+/, "token=forged"))).status).toBe(404);
  });

  it("repeats the same storm for the same seed, and another for another seed", async () => {
    const storm = async (seed: number) => {
      server.clearFailures(seed);
      server.failRandom(/\/branches\//, 0.4, { kind: "status", status: 502 });
      const statuses: number[] = [];
      for (let index = 0; index < 30; index++)
        statuses.push((await get("/repos/acme/deploy/branches/main")).status);
      server.clearFailures();
      return statuses;
    };
    const first = await storm(7);
    expect(await storm(7)).toEqual(first);
    expect(await storm(8)).not.toEqual(first);
    const failed = first.filter((status) => status === 502).length;
    expect(failed).toBeGreaterThan(3);
    expect(failed).toBeLessThan(27);
  });

  it("resets a connection mid-body: the head arrives, the body does not", async () => {
    server.failNext(/\/branches\//, 1, { kind: "reset", afterBytes: 10 });
    const response = await get("/repos/acme/deploy/branches/main");
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
    expect(server.requests.at(-1)).toMatchObject({ status: 0, fault: "reset" });
  });

  it("hangs a request until the client gives up", async () => {
    server.failNext(/\/branches\//, 1, { kind: "hang" });
    const client = new AbortController();
    const pending = get("/repos/acme/deploy/branches/main", { signal: client.signal });
    await expect.poll(() => server.requests.at(-1)?.fault).toBe("hang");
    client.abort();
    await expect(pending).rejects.toThrow();
    expect((await get("/repos/acme/deploy/branches/main")).status).toBe(200);
  });

  it("drips a slow body whole", async () => {
    const whole = await (await get("/repos/acme/deploy/branches/main")).text();
    server.failNext(/\/branches\//, 1, { kind: "slow", chunkBytes: 256, intervalMs: 1 });
    expect(await (await get("/repos/acme/deploy/branches/main")).text()).toBe(whole);
  });

  it("answers 429 with Retry-After, and an exhausted primary limit with remaining 0 and its reset", async () => {
    server.failNext(/\/branches\//, 1, { kind: "too-many-requests", retryAfterSeconds: 12 });
    const limited = await get("/repos/acme/deploy/branches/main");
    expect([limited.status, limited.headers.get("retry-after")]).toEqual([429, "12"]);
    server.failNext(/\/branches\//, 1, { kind: "rate-limit-exhausted", resetSeconds: 600 });
    const before = Math.floor(Date.now() / 1000);
    const exhausted = await get("/repos/acme/deploy/branches/main");
    expect(exhausted.status).toBe(403);
    expect(exhausted.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(Number(exhausted.headers.get("x-ratelimit-reset")) - before).toBeGreaterThanOrEqual(600);
  });

  it("revokes a token until it is allowed again", async () => {
    server.revokeToken(TOKEN);
    expect((await get("/repos/acme/deploy/branches/main")).status).toBe(401);
    server.allowToken(TOKEN);
    expect((await get("/repos/acme/deploy/branches/main")).status).toBe(200);
  });
});
