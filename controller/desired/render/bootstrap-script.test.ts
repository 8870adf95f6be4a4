import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootstrapScript, commandWrapper } from "./bootstrap-script.js";

// Runs the real script with the system's sh against a real HTTP server: the script is the product here.
let dir: string;
let server: Server;
let baseUrl: string;
let files: Map<string, Buffer>;
/** answers overrides what the server does for a path: a status, a redirect, a dropped connection. */
const answers = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
/** deadUrl is on a port nothing listens on any more: a connection there is refused. */
let deadUrl: string;
let wgetrc: string;
const TOOLS = ["sh", "tar", "gzip", "awk", "sha256sum", "rm", "mkdir", "cp", "chmod", "cat", "echo"];

async function toolDir(name: string, downloader: "wget" | "curl"): Promise<string> {
  const bin = join(dir, `bin-${name}`);
  await mkdir(bin, { recursive: true });
  for (const tool of [...TOOLS, downloader]) {
    const { stdout } = await execa("sh", ["-c", `command -v ${tool}`], { reject: false });
    if (stdout.startsWith("/")) await symlink(stdout.trim(), join(bin, tool));
  }
  return bin;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bootstrap-"));
  await mkdir(join(dir, "src"));
  await writeFile(join(dir, "src", "hello.txt"), "hello from the release\n");
  await execa("tar", ["-czf", join(dir, "app.tar.gz"), "-C", join(dir, "src"), "hello.txt"]);
  files = new Map([
    [
      "/scripts/shop/init.sh",
      Buffer.from('export GREETING="$(cat /dev/null)initialised"\necho init ran >&2\n'),
    ],
    ["/apps/shop/app.tar.gz", await readFile(join(dir, "app.tar.gz"))],
  ]);
  server = createServer((req, res) => {
    const answer = answers.get(req.url ?? "");
    if (answer) return answer(req, res);
    const body = files.get(req.url ?? "");
    res.writeHead(body ? 200 : 404).end(body ?? "not found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  wgetrc = join(dir, "wgetrc");
  await writeFile(wgetrc, "tries = 1\n");
  const dead = createServer();
  await new Promise<void>((resolve) => dead.listen(0, "127.0.0.1", resolve));
  deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => dead.close(() => resolve()));
});
afterAll(async () => {
  server.close();
  await rm(dir, { recursive: true, force: true });
});

function sums(overrides: Record<string, string> = {}): Buffer {
  const lines = [...files]
    .filter(([path]) => path !== "/SHA256SUMS")
    .map(
      ([path, body]) =>
        `${overrides[path] ?? createHash("sha256").update(body).digest("hex")}  ${path.slice(1)}`,
    );
  return Buffer.from(`${lines.join("\n")}\n`);
}

async function runBootstrap(
  name: string,
  downloader: "wget" | "curl",
  opts: { runInit: boolean; service?: string },
) {
  const appDir = join(dir, name, "app");
  const script = bootstrapScript({
    runInit: opts.runInit,
    paths: { appDir, workDir: join(dir, name, "work") },
  });
  const result = await execa("sh", ["-c", script], {
    reject: false,
    env: {
      PATH: await toolDir(name, downloader),
      SERVICE_NAME: opts.service ?? "shop",
      DOWNLOAD_BASE_URL: `${baseUrl}/`,
      // GNU wget retries a dropped connection 20 times with back-off; one try is enough to see how it fails.
      WGETRC: wgetrc,
    },
    extendEnv: false,
  });
  return { ...result, appDir };
}

describe("bootstrapScript", () => {
  it.each([
    { name: "wget-no-sums", downloader: "wget" as const, withSums: false, log: /no SHA256SUMS published/ },
    { name: "curl-no-sums", downloader: "curl" as const, withSums: false, log: /no SHA256SUMS published/ },
    { name: "wget-sums", downloader: "wget" as const, withSums: true, log: /verified against SHA256SUMS/ },
    { name: "curl-sums", downloader: "curl" as const, withSums: true, log: /verified against SHA256SUMS/ },
  ])("downloads and unpacks the release ($name)", async ({ name, downloader, withSums, log }) => {
    if (withSums) files.set("/SHA256SUMS", sums());
    try {
      const result = await runBootstrap(name, downloader, { runInit: false });
      expect(result.stderr).toMatch(log);
      expect(result.exitCode).toBe(0);
      expect(await readFile(join(result.appDir, "hello.txt"), "utf8")).toBe("hello from the release\n");
      expect(await readFile(join(result.appDir, ".simple-gitops", "init.sh"), "utf8")).toContain("GREETING");
    } finally {
      files.delete("/SHA256SUMS");
    }
  });

  it("fails with the checksum it expected when the archive does not match SHA256SUMS", async () => {
    files.set("/SHA256SUMS", sums({ "/apps/shop/app.tar.gz": "0".repeat(64) }));
    try {
      const result = await runBootstrap("mismatch", "wget", { runInit: false });
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(
        `checksum mismatch for apps/shop/app.tar.gz: SHA256SUMS says ${"0".repeat(64)}`,
      );
    } finally {
      files.delete("/SHA256SUMS");
    }
  });

  it.each([
    { name: "wget", downloader: "wget" as const },
    { name: "curl", downloader: "curl" as const },
  ])("fails naming the URL when a download fails ($name)", async ({ name, downloader }) => {
    const result = await runBootstrap(`missing-${name}`, downloader, { runInit: false, service: "ghost" });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      `simple-gitops bootstrap: download failed: ${baseUrl}/scripts/ghost/init.sh`,
    );
  });

  const downloaders = ["wget", "curl"] as const;
  const failures = [
    {
      what: "answers 500",
      answer: (_req: IncomingMessage, res: ServerResponse) => res.writeHead(500).end("boom"),
    },
    {
      what: "redirects to a dead host",
      answer: (_req: IncomingMessage, res: ServerResponse) =>
        res.writeHead(302, { location: `${deadUrl}/SHA256SUMS` }).end(),
    },
    {
      what: "drops the connection",
      answer: (req: IncomingMessage, _res: ServerResponse) => req.socket.destroy(),
    },
  ];
  it.each(
    downloaders.flatMap((downloader) => failures.map((failure) => ({ downloader, ...failure }))),
  )("fails closed, naming the URL, when SHA256SUMS $what ($downloader)", async ({
    downloader,
    what,
    answer,
  }) => {
    answers.set("/SHA256SUMS", answer);
    try {
      const name = `sums-${downloader}-${what.replaceAll(" ", "-")}`;
      const result = await runBootstrap(name, downloader, { runInit: false });
      expect(result.exitCode).not.toBe(0);
      expect(result.stderr).toMatch(
        new RegExp(
          `^simple-gitops bootstrap: cannot fetch ${baseUrl}/SHA256SUMS, refusing to skip verification`,
          "m",
        ),
      );
      expect(result.stderr).not.toMatch(/skipping verification|unpacked/);
      await expect(readFile(join(result.appDir, "hello.txt"), "utf8")).rejects.toThrow(/ENOENT/);
    } finally {
      answers.delete("/SHA256SUMS");
    }
  });

  it("fails closed when SHA256SUMS cannot be reached at all (connection refused)", async () => {
    // Everything else is served; only SHA256SUMS is on a host that refuses connections.
    answers.set("/SHA256SUMS", (_req, res) =>
      res.writeHead(307, { location: `${deadUrl}/SHA256SUMS` }).end(),
    );
    try {
      for (const downloader of downloaders) {
        const result = await runBootstrap(`sums-refused-${downloader}`, downloader, { runInit: false });
        expect(result.exitCode).toBe(1);
        expect(result.stderr).toContain(`simple-gitops bootstrap: cannot fetch ${baseUrl}/SHA256SUMS`);
        expect(result.stderr).toMatch(/refused|couldn't connect/i);
      }
    } finally {
      answers.delete("/SHA256SUMS");
    }
  });

  it.each(downloaders)("skips verification only for a 404, and says so (%s)", async (downloader) => {
    answers.set("/SHA256SUMS", (_req, res) => res.writeHead(404).end("not found"));
    try {
      const result = await runBootstrap(`sums-404-${downloader}`, downloader, { runInit: false });
      expect(result.exitCode).toBe(0);
      expect(result.stderr).toContain(
        `simple-gitops bootstrap: no SHA256SUMS published (${baseUrl}/SHA256SUMS: 404); skipping verification`,
      );
      expect(await readFile(join(result.appDir, "hello.txt"), "utf8")).toBe("hello from the release\n");
    } finally {
      answers.delete("/SHA256SUMS");
    }
  });

  it("runs init.sh itself when asked", async () => {
    const result = await runBootstrap("run-init", "wget", { runInit: true });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain("init ran");
  });
});

describe("commandWrapper", () => {
  it("sources init.sh, then execs the original command with its arguments", async () => {
    const appDir = join(dir, "wrap", "app");
    await mkdir(join(appDir, ".simple-gitops"), { recursive: true });
    await writeFile(join(appDir, ".simple-gitops", "init.sh"), "export GREETING=initialised\n");
    const wrapper = commandWrapper({ appDir, workDir: "" });
    const result = await execa("sh", [
      "-c",
      wrapper,
      "simple-gitops-init",
      "sh",
      "-c",
      'echo "$GREETING $1 $$"',
      "x",
      "arg",
    ]);
    const [greeting, arg] = result.stdout.split(" ");
    expect(`${greeting} ${arg}`).toBe("initialised arg");
  });

  it("fails the container when init.sh fails", async () => {
    const appDir = join(dir, "wrap-fail", "app");
    await mkdir(join(appDir, ".simple-gitops"), { recursive: true });
    await writeFile(join(appDir, ".simple-gitops", "init.sh"), "false\n");
    const wrapper = commandWrapper({ appDir, workDir: "" });
    const result = await execa("sh", ["-c", wrapper, "simple-gitops-init", "echo", "app ran"], {
      reject: false,
    });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("simple-gitops: init.sh failed");
  });
});
