import { chmod, cp, mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bootstrapScript } from "../controller/desired/render/bootstrap-script.js";
import { collectEntries, main, packRelease } from "./pack-release.js";
import { gzipReproducible, tarArchive } from "./release/tar.js";

const EXAMPLE_SRC = fileURLToPath(new URL("../examples/release-src", import.meta.url));
const EXAMPLE_SCRIPTS = fileURLToPath(new URL("../examples/release/scripts", import.meta.url));

let dir: string;
let src: string;
let out: string;
const quiet = () => {};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pack-release-"));
  src = join(dir, "src");
  out = join(dir, "out");
  await cp(EXAMPLE_SRC, src, { recursive: true });
  await cp(EXAMPLE_SCRIPTS, join(out, "scripts"), { recursive: true });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe("pack-release", () => {
  it("gives byte-identical archives when packing twice, even after the sources' mtimes and umask change", async () => {
    await packRelease({ src, out, log: quiet });
    const first = await readFile(join(out, "apps/web/app.tar.gz"));
    const firstSums = await readFile(join(out, "SHA256SUMS"), "utf8");

    await utimes(join(src, "web/server.mjs"), new Date(2001, 1, 1), new Date(2001, 1, 1));
    await chmod(join(src, "web/README.md"), 0o600);
    await packRelease({ src, out, log: quiet });

    expect(await readFile(join(out, "apps/web/app.tar.gz"))).toEqual(first);
    expect(await readFile(join(out, "SHA256SUMS"), "utf8")).toBe(firstSums);
  });

  it("writes archives GNU tar lists as sorted, root-owned, mtime-0 entries with normalised modes", async () => {
    await chmod(join(src, "etcd/README.md"), 0o755);
    await packRelease({ src, out, log: quiet });
    const { stdout } = await execa("tar", ["-tvzf", join(out, "apps/monitoring/app.tar.gz")], {
      env: { TZ: "UTC" },
    });
    // Sizes dropped: they follow the example sources, which may change.
    const listing = stdout.split("\n").map((line) => line.replace(/\s+/g, " ").replace(/ \d+ 1970/, " 1970"));
    expect(listing).toEqual([
      "-rw-r--r-- 0/0 1970-01-01 00:00 README.md",
      "drwxr-xr-x 0/0 1970-01-01 00:00 rules/",
      "-rw-r--r-- 0/0 1970-01-01 00:00 rules/alerts.yml",
    ]);
    const etcd = await execa("tar", ["-tvzf", join(out, "apps/etcd/app.tar.gz")]);
    expect(etcd.stdout).toMatch(/^-rwxr-xr-x 0\/0 .* README\.md$/m);
  });

  it("writes a gzip header without a name or timestamp", async () => {
    await packRelease({ src, out, services: ["web"], log: quiet });
    const archive = await readFile(join(out, "apps/web/app.tar.gz"));
    expect(archive.readUInt32LE(4)).toBe(0); // MTIME
    expect(archive[3]).toBe(0); // FLG: no FNAME, no FEXTRA
    expect(archive[9]).toBe(3); // OS: Unix
    expect(gunzipSync(archive).length % 512).toBe(0);
  });

  it("writes SHA256SUMS that sha256sum -c accepts and that lists init.sh and app.tar.gz of every service", async () => {
    await packRelease({ src, out, log: quiet });
    const sums = await readFile(join(out, "SHA256SUMS"), "utf8");
    expect(sums.split("\n").map((line) => line.split("  ")[1])).toEqual([
      "apps/etcd/app.tar.gz",
      "apps/monitoring/app.tar.gz",
      "apps/web/app.tar.gz",
      "scripts/etcd/init.sh",
      "scripts/monitoring/init.sh",
      "scripts/web/init.sh",
      undefined, // the final newline
    ]);
    const check = await execa("sha256sum", ["-c", "SHA256SUMS"], { cwd: out });
    expect(check.stdout).toContain("apps/web/app.tar.gz: OK");
  });

  it("packs only the services named with --service, and still sums everything in the tree", async () => {
    const { code, stderr } = await run(["--src", src, "--out", out, "--service", "web"]);
    expect(code).toBe(0);
    expect(stderr).toContain("packed apps/web/app.tar.gz");
    expect(stderr).not.toContain("apps/etcd");
    expect(stderr).toContain("sha256sum -c SHA256SUMS");
    const sums = await readFile(join(out, "SHA256SUMS"), "utf8");
    expect(sums).toContain("scripts/etcd/init.sh");
    expect(sums).not.toContain("apps/etcd/app.tar.gz");
  });

  it("exits 2 naming the missing source directory and the services it found", async () => {
    const { code, stderr } = await run(["--src", src, "--out", out, "--service", "nope"]);
    expect(code).toBe(2);
    expect(stderr).toContain(`no source directory ${join(src, "nope")} for service nope`);
    expect(stderr).toContain("(found: etcd, monitoring, web)");
  });

  it("exits 2 on an unknown flag and prints usage on --help", async () => {
    expect((await run(["--bogus"])).code).toBe(2);
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: npx tsx scripts/pack-release.ts");
  });

  it("warns when a packed service has no init.sh, since its pods could not start", async () => {
    await mkdir(join(src, "worker"));
    await writeFile(join(src, "worker/run.sh"), "echo hi\n");
    const { code, stderr } = await run(["--src", src, "--out", out, "--service", "worker"]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/warning: .*scripts\/worker\/init\.sh is missing/);
  });

  it("refuses a symlink in the sources", async () => {
    await symlink("/etc/passwd", join(src, "web/passwd"));
    const { code, stderr } = await run(["--src", src, "--out", out, "--service", "web"]);
    expect(code).toBe(2);
    expect(stderr).toContain("is not a regular file or directory");
  });
});

describe("a packed release, fetched by the stateless bootstrap script", () => {
  /** serve answers GETs from `root`, as the controller's release tree does, until the test ends. */
  async function serve(root: string): Promise<{ url: string; close: () => Promise<void> }> {
    const server = createServer((req, res) => {
      readFile(join(root, decodeURIComponent(req.url ?? "/")))
        .then((body) => res.writeHead(200).end(body))
        .catch(() => res.writeHead(404).end());
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      close: () => new Promise((done) => server.close(() => done())),
    };
  }
  async function bootstrap(url: string) {
    const paths = { appDir: join(dir, "app"), workDir: join(dir, "work") };
    return execa("sh", ["-c", bootstrapScript({ runInit: false, paths })], {
      env: { SERVICE_NAME: "web", DOWNLOAD_BASE_URL: url },
      reject: false,
    });
  }

  it("is verified against SHA256SUMS and unpacked into the app dir", async () => {
    await packRelease({ src, out, log: quiet });
    const server = await serve(out);
    try {
      const result = await bootstrap(server.url);
      expect(result.stderr).toContain("verified against SHA256SUMS");
      expect(result.exitCode).toBe(0);
      expect(await readFile(join(dir, "app/server.mjs"), "utf8")).toContain("createServer");
      expect(await readFile(join(dir, "app/.simple-gitops/init.sh"), "utf8")).toContain("init.sh for web");
    } finally {
      await server.close();
    }
  });

  it("is refused when the archive no longer matches SHA256SUMS", async () => {
    await packRelease({ src, out, log: quiet });
    await writeFile(join(src, "web/README.md"), "changed after packing\n");
    await writeFile(
      join(out, "apps/web/app.tar.gz"),
      gzipReproducible(tarArchive(await collectEntries(join(src, "web")))),
    );
    const server = await serve(out);
    try {
      const result = await bootstrap(server.url);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain("checksum mismatch for apps/web/app.tar.gz");
    } finally {
      await server.close();
    }
  });
});

describe("tarArchive", () => {
  it("splits a long path into ustar's prefix and name fields", async () => {
    const long = `${"d".repeat(120)}/${"f".repeat(90)}.txt`;
    const archive = tarArchive([{ path: long, mode: 0o644, data: Buffer.from("x") }]);
    await writeFile(join(dir, "long.tar"), archive);
    const { stdout } = await execa("tar", ["-tf", join(dir, "long.tar")]);
    expect(stdout).toBe(long);
  });
});
