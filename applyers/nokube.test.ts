import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import yaml from "js-yaml";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { KILL_GRACE_MS, type RunCommand, runProcess } from "../common/run.js";
import type { KubeObject } from "../kube/objects.js";
import { stillRunning } from "../test/still-running.js";
import { ApplyerUnavailableError } from "./applyer.js";
import type { HttpGet } from "./http-get.js";
import { createNokubeApplyer } from "./nokube.js";

// A stand-in for the NoKube CLI: records its arguments and stdin, answers --help, and fails the way a CLI does
// (stderr, exit 1) when it is sent an object named bad-*. Sent an object named hang-*, it starts a child that does
// not hold its stdio, writes both pids to {recordDir}/pids, and hangs.
function standIn(recordDir: string): string {
  return `#!/bin/sh
if [ "$1" = "--help" ]; then echo "nokube stand-in"; exit 0; fi
printf '%s\\n' "$@" > '${recordDir}/args'
env > '${recordDir}/env'
cat > '${recordDir}/stdin'
if grep -q 'name: hang-' '${recordDir}/stdin'; then sleep 60 >/dev/null 2>&1 & echo $$ $! > '${recordDir}/pids'; sleep 60; fi
if grep -q 'name: bad-' '${recordDir}/stdin'; then echo "error: apply failed: ConfigMap bad-one: invalid" >&2; exit 1; fi
echo "configmap/a created"
`;
}

let dir: string;
let server: Server;
let baseUrl: string;
let requests: string[];
let binary: string;
const log = pino({ level: "silent" });
const objects: KubeObject[] = [
  { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "apps" }, data: { k: "v" } },
  { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "b", namespace: "apps" } },
];
const sha = (text: string) => createHash("sha256").update(text).digest("hex");

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nokube-"));
  binary = standIn(dir);
  server = createServer((req, res) => {
    requests.push(req.url ?? "");
    if (req.url === "/nokube/linux-amd64/nokube") res.writeHead(200).end(binary);
    // Half a body, then nothing: a download that stalls.
    else if (req.url === "/stall-body")
      res.writeHead(200, { "content-length": String(binary.length) }).write(binary.slice(0, 10));
    // No answer at all.
    else if (req.url === "/stall-headers") return;
    // A redirect that stays on plain http.
    else if (req.url === "/moved") res.writeHead(302, { location: "/nokube/linux-amd64/nokube" }).end();
    else res.writeHead(404).end("not found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  requests = [];
});

async function workspace(): Promise<string> {
  return mkdtemp(join(dir, "ws-"));
}

describe("createNokubeApplyer", () => {
  it("downloads the CLI into the workspace, executable, and sends the YAML to `nokube apply --cluster`", async () => {
    const ws = await workspace();
    const applyer = createNokubeApplyer({
      clusterName: "home-cluster",
      downloadUrl: `${baseUrl}/nokube/linux-amd64/nokube`,
      sha256: sha(binary),
      workspace: ws,
      log,
    });
    await applyer.ensureInstalled();
    expect((await stat(join(ws, "bin", "nokube"))).mode & 0o777).toBe(0o755);

    const result = await applyer.apply(objects);
    expect(await readFile(join(dir, "args"), "utf8")).toBe("apply\n--cluster\nhome-cluster\n");
    expect(yaml.loadAll(await readFile(join(dir, "stdin"), "utf8"))).toEqual(objects);
    expect(result).toEqual({
      applyer: "nokube",
      objects: [
        { apiVersion: "v1", kind: "ConfigMap", namespace: "apps", name: "a", action: "created" },
        { apiVersion: "v1", kind: "ConfigMap", namespace: "apps", name: "b", action: "configured" },
      ],
    });
    expect(requests).toEqual(["/nokube/linux-amd64/nokube"]);
  });

  it("downloads again when the binary went missing", async () => {
    const ws = await workspace();
    const url = `${baseUrl}/nokube/linux-amd64/nokube`;
    const applyer = createNokubeApplyer({
      clusterName: "c",
      downloadUrl: url,
      sha256: sha(binary),
      workspace: ws,
      log,
    });
    await applyer.ensureInstalled();
    await applyer.ensureInstalled();
    await rm(join(ws, "bin", "nokube"));
    await applyer.apply(objects);
    expect(requests).toEqual(["/nokube/linux-amd64/nokube", "/nokube/linux-amd64/nokube"]);
  });

  it("starts the CLI with PATH, HOME, KUBECONFIG and proxies only: no token or secret of the controller", async () => {
    const parent = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: "/home/gitops",
      KUBECONFIG: "/etc/kube/config",
      HTTPS_PROXY: "http://proxy:3128",
      no_proxy: "10.0.0.0/8",
      GITHUB_TOKEN: "ghp_secret",
      WEBHOOK_SECRET: "whsec",
      GITOPS_SYNC_TOKEN: "sync-token",
      GITOPS_READ_TOKEN: "read-token",
      GITOPS_WEBHOOK_URL: "https://hooks.slack.com/services/T/B/X",
      GITOPS_HMAC_SECRET: "hmac",
    };
    const applyer = createNokubeApplyer({
      clusterName: "c",
      downloadUrl: `${baseUrl}/nokube/linux-amd64/nokube`,
      sha256: sha(binary),
      workspace: await workspace(),
      env: parent,
      log,
    });
    await applyer.apply(objects);
    const seen = new Map(
      (await readFile(join(dir, "env"), "utf8"))
        .split("\n")
        .filter((line) => line.includes("="))
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    expect(seen.get("PATH")).toBe(parent.PATH);
    expect(seen.get("HOME")).toBe("/home/gitops");
    expect(seen.get("KUBECONFIG")).toBe("/etc/kube/config");
    expect(seen.get("HTTPS_PROXY")).toBe("http://proxy:3128");
    expect(seen.get("no_proxy")).toBe("10.0.0.0/8");
    for (const secret of ["GITHUB_TOKEN", "WEBHOOK_SECRET", "GITOPS_SYNC_TOKEN", "GITOPS_READ_TOKEN"])
      expect(seen.has(secret), secret).toBe(false);
    const text = [...seen.values()].join("\n");
    for (const value of ["ghp_secret", "whsec", "sync-token", "read-token", "hooks.slack.com", "hmac"])
      expect(text).not.toContain(value);
  });

  it("refuses to download a plain-http URL without sha256, before any request", async () => {
    const ws = await workspace();
    const url = `${baseUrl}/nokube/linux-amd64/nokube`;
    const applyer = createNokubeApplyer({ clusterName: "c", downloadUrl: url, workspace: ws, log });
    await expect(applyer.ensureInstalled()).rejects.toThrow(
      `applyer nokube is unavailable: refusing to download ${url} without sha256`,
    );
    expect(requests).toEqual([]);
  });

  it("refuses a redirect to plain http, naming it, from the real server (the getter follows nothing itself)", async () => {
    const ws = await workspace();
    const applyer = createNokubeApplyer({
      clusterName: "c",
      downloadUrl: `${baseUrl}/moved`,
      sha256: sha(binary),
      workspace: ws,
      log,
    });
    await expect(applyer.ensureInstalled()).rejects.toThrow(
      `GET ${baseUrl}/moved: HTTP 302 redirects to ${baseUrl}/nokube/linux-amd64/nokube: refusing a redirect that is not https`,
    );
    expect(requests).toEqual(["/moved"]);
    await expect(stat(join(ws, "bin", "nokube"))).rejects.toThrow(/ENOENT/);
  });
});

/** redirecting is an HttpGet that answers `routes`: a string is a 302 to it, a Buffer the body of a 200. */
function redirecting(
  routes: Record<string, string | undefined>,
  body: () => string,
): {
  get: HttpGet;
  asked: string[];
} {
  const asked: string[] = [];
  const get: HttpGet = async (url) => {
    asked.push(url);
    const to = routes[url];
    const stream = new PassThrough();
    if (to === undefined) {
      stream.end(body());
      return { statusCode: 200, body: stream };
    }
    stream.end();
    return { statusCode: 302, body: stream, location: to };
  };
  return { get, asked };
}

describe("createNokubeApplyer download redirects", () => {
  it("follows https redirects, relative ones included", async () => {
    const { get, asked } = redirecting(
      {
        "https://releases.example/nokube": "https://cdn.example/a/nokube",
        "https://cdn.example/a/nokube": "../b/nokube",
      },
      () => binary,
    );
    const ws = await workspace();
    await createNokubeApplyer({
      clusterName: "c",
      downloadUrl: "https://releases.example/nokube",
      workspace: ws,
      get,
      log,
    }).ensureInstalled();
    expect(asked).toEqual([
      "https://releases.example/nokube",
      "https://cdn.example/a/nokube",
      "https://cdn.example/b/nokube",
    ]);
    expect(await readFile(join(ws, "bin", "nokube"), "utf8")).toBe(binary);
  });

  it("refuses an https to http redirect, naming the URL, and does not fetch it", async () => {
    const { get, asked } = redirecting(
      { "https://releases.example/nokube": "http://evil.example/nokube" },
      () => binary,
    );
    const ws = await workspace();
    const applyer = createNokubeApplyer({
      clusterName: "c",
      downloadUrl: "https://releases.example/nokube",
      workspace: ws,
      get,
      log,
    });
    await expect(applyer.ensureInstalled()).rejects.toThrow(
      "applyer nokube is unavailable: GET https://releases.example/nokube: HTTP 302 redirects to http://evil.example/nokube: refusing a redirect that is not https",
    );
    expect(asked).toEqual(["https://releases.example/nokube"]);
    expect(await readdir(join(ws, "bin"))).toEqual([]);
  });

  it("gives up after 5 redirects", async () => {
    const routes: Record<string, string> = {};
    for (let i = 0; i < 10; i++) routes[`https://r.example/${i}`] = `https://r.example/${i + 1}`;
    const { get, asked } = redirecting(routes, () => binary);
    const applyer = createNokubeApplyer({
      clusterName: "c",
      downloadUrl: "https://r.example/0",
      workspace: await workspace(),
      get,
      log,
    });
    await expect(applyer.ensureInstalled()).rejects.toThrow("GET https://r.example/0: more than 5 redirects");
    expect(asked).toHaveLength(6);
  });
});

describe("createNokubeApplyer failures and deletes", () => {
  it("reports every object failed with the CLI's message when the apply fails", async () => {
    const applyer = createNokubeApplyer({
      clusterName: "c",
      downloadUrl: `${baseUrl}/nokube/linux-amd64/nokube`,
      sha256: sha(binary),
      workspace: await workspace(),
      log,
    });
    const result = await applyer.apply([
      ...objects,
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "bad-one" } },
    ]);
    expect(result.objects.map((o) => o.action)).toEqual(["failed", "failed", "failed"]);
    expect(result.objects[0]?.message).toBe("error: apply failed: ConfigMap bad-one: invalid");
  });

  it.each([
    { name: "the download URL answers 404", path: "/missing", sha256: undefined, error: /HTTP 404/ },
    {
      name: "the sha256 does not match",
      path: "/nokube/linux-amd64/nokube",
      sha256: "0".repeat(64),
      error: /sha256 is [0-9a-f]{64}, expected 0{64}/,
    },
  ])("is unavailable, and leaves no binary behind, when $name", async ({ path, sha256, error }) => {
    const ws = await workspace();
    const applyer = createNokubeApplyer({
      clusterName: "c",
      downloadUrl: `${baseUrl}${path}`,
      // Pinned, so that a plain-http test URL is allowed; the sha256 case pins a wrong one.
      sha256: sha256 ?? sha(binary),
      workspace: ws,
      log,
    });
    const caught = await applyer.apply(objects).catch((e: unknown) => e);
    expect(caught).toBeInstanceOf(ApplyerUnavailableError);
    expect((caught as Error).message).toMatch(error);
    await expect(stat(join(ws, "bin", "nokube"))).rejects.toThrow(/ENOENT/);
  });

  it("hands deletes to the next applyer", async () => {
    const applyer = createNokubeApplyer({
      clusterName: "c",
      downloadUrl: `${baseUrl}/x`,
      sha256: sha(binary),
      workspace: await workspace(),
      log,
    });
    await expect(applyer.delete([{ apiVersion: "v1", kind: "ConfigMap", name: "a" }])).rejects.toThrow(
      ApplyerUnavailableError,
    );
  });
});

/** hangPids waits for the stand-in to write the pids of the apply that hangs. */
async function hangPids(): Promise<number[]> {
  for (let i = 0; i < 250; i++) {
    const pids = (await readFile(join(dir, "pids"), "utf8").catch(() => ""))
      .trim()
      .split(" ")
      .filter(Boolean);
    if (pids.length === 2) return pids.map(Number);
    await sleep(20);
  }
  throw new Error("the stand-in never hung");
}

const hang: KubeObject = {
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "hang-one", namespace: "apps" },
};

describe("createNokubeApplyer timeouts and cancellation", () => {
  beforeEach(async () => {
    await rm(join(dir, "pids"), { force: true });
  });

  it.each([
    { name: "default", timeoutMs: undefined, expected: 300_000 },
    { name: "apply_timeout", timeoutMs: 4321, expected: 4321 },
  ])("bounds every run ($name) and passes the apply's signal", async ({ timeoutMs, expected }) => {
    const seen: { command: string | undefined; timeoutMs?: number; signal?: AbortSignal }[] = [];
    const run: RunCommand = (file, args, opts) => {
      seen.push({ command: args[0], timeoutMs: opts?.timeoutMs, signal: opts?.signal });
      return runProcess(file, args, opts);
    };
    const applyer = createNokubeApplyer({
      clusterName: "c",
      downloadUrl: `${baseUrl}/nokube/linux-amd64/nokube`,
      sha256: sha(binary),
      workspace: await workspace(),
      run,
      log,
      ...(timeoutMs ? { timeoutMs } : {}),
    });
    const { signal } = new AbortController();
    await applyer.ensureInstalled();
    await applyer.apply(objects, { signal });
    expect(seen).toEqual([
      { command: "--help", timeoutMs: expected, signal: undefined },
      { command: "apply", timeoutMs: expected, signal },
    ]);
  });

  it("kills an apply that hangs at its timeout, with what it started, and fails every object, naming it", async () => {
    const applyer = createNokubeApplyer({
      clusterName: "c",
      downloadUrl: `${baseUrl}/nokube/linux-amd64/nokube`,
      sha256: sha(binary),
      workspace: await workspace(),
      timeoutMs: 500,
      log,
    });
    await applyer.ensureInstalled();
    const started = Date.now();
    const result = await applyer.apply([...objects, hang]);
    const took = Date.now() - started;
    const message = "nokube apply did not finish within 500 ms and was killed";
    expect(result.objects.map((o) => [o.name, o.action, o.message])).toEqual([
      ["a", "failed", message],
      ["b", "failed", message],
      ["hang-one", "failed", message],
    ]);
    expect(took).toBeLessThan(500 + KILL_GRACE_MS);
    expect(await stillRunning(await hangPids())).toEqual([]);
  });

  it("kills the apply when the signal aborts, and rejects with the signal's reason", async () => {
    const applyer = createNokubeApplyer({
      clusterName: "c",
      downloadUrl: `${baseUrl}/nokube/linux-amd64/nokube`,
      sha256: sha(binary),
      workspace: await workspace(),
      log,
    });
    await applyer.ensureInstalled();
    const controller = new AbortController();
    const reason = new Error("the sync is being stopped");
    const applying = applyer.apply([hang], { signal: controller.signal });
    const pids = await hangPids();
    controller.abort(reason);
    await expect(applying).rejects.toBe(reason);
    expect(await stillRunning(pids)).toEqual([]);
  });

  it("is unavailable, naming the timeout, when `nokube --help` is killed", async () => {
    const run: RunCommand = async (file, args, opts) =>
      args[0] === "--help"
        ? { stdout: "", stderr: `timed out after ${opts?.timeoutMs} ms`, timedOut: true }
        : runProcess(file, args, opts);
    const ws = await workspace();
    const applyer = createNokubeApplyer({
      clusterName: "c",
      downloadUrl: `${baseUrl}/nokube/linux-amd64/nokube`,
      sha256: sha(binary),
      workspace: ws,
      timeoutMs: 7000,
      run,
      log,
    });
    await expect(applyer.ensureInstalled()).rejects.toThrow(
      `${join(ws, "bin", "nokube")} --help failed (nokube --help did not finish within 7 s and was killed)`,
    );
  });

  it.each([
    "/stall-body",
    "/stall-headers",
  ])("is unavailable, leaving nothing behind, when the download (%s) does not finish in time", async (path) => {
    const ws = await workspace();
    const applyer = createNokubeApplyer({
      clusterName: "c",
      downloadUrl: `${baseUrl}${path}`,
      sha256: sha(binary),
      workspace: ws,
      downloadTimeoutMs: 300,
      log,
    });
    const started = Date.now();
    const caught = await applyer.apply(objects).catch((e: unknown) => e);
    expect(caught).toBeInstanceOf(ApplyerUnavailableError);
    expect((caught as Error).message).toBe(
      `applyer nokube is unavailable: GET ${baseUrl}${path} did not finish within 300 ms`,
    );
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(await readdir(join(ws, "bin"))).toEqual([]);
  });

  it("bounds a download whose HttpGet ignores the signal", async () => {
    const ws = await workspace();
    // A body that sends a little and then nothing, from a getter that does not take the signal.
    const get: HttpGet = async () => {
      const body = new PassThrough();
      body.write("#!/bin/sh\n");
      return { statusCode: 200, body };
    };
    const applyer = createNokubeApplyer({
      clusterName: "c",
      downloadUrl: "http://example.invalid/nokube",
      sha256: sha(binary),
      workspace: ws,
      downloadTimeoutMs: 300,
      get,
      log,
    });
    await expect(applyer.ensureInstalled()).rejects.toThrow(
      "applyer nokube is unavailable: GET http://example.invalid/nokube did not finish within 300 ms",
    );
    expect(await readdir(join(ws, "bin"))).toEqual([]);
  });

  it("stops a download when the signal aborts, rejecting with its reason rather than handing over", async () => {
    const ws = await workspace();
    const applyer = createNokubeApplyer({
      clusterName: "c",
      downloadUrl: `${baseUrl}/stall-body`,
      sha256: sha(binary),
      workspace: ws,
      log,
    });
    const controller = new AbortController();
    const reason = new Error("leadership lost");
    const applying = applyer.apply(objects, { signal: controller.signal });
    for (let i = 0; i < 100 && !requests.includes("/stall-body"); i++) await sleep(10);
    expect(requests).toContain("/stall-body");
    controller.abort(reason);
    await expect(applying).rejects.toBe(reason);
    expect(await readdir(join(ws, "bin"))).toEqual([]);
  });
});
