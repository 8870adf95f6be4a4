import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createReleaseProbe, ReleaseProbeError } from "./release-probe.js";

let server: Server;
let base: string;
let dir: string;
const requests: string[] = [];
// Paths the release server answers, with their status; anything else is 404. `/hang` never answers.
const answers: Record<string, number> = {
  "/r/scripts/web/init.sh": 200,
  "/r/scripts/gone/init.sh": 410,
  "/r/scripts/down/init.sh": 503,
  "/r/scripts/private/init.sh": 403,
};

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? "");
    if (req.url?.startsWith("/hang/")) return;
    res.statusCode = answers[req.url ?? ""] ?? 404;
    res.end("#!/bin/sh\n".repeat(10_000));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), "release-probe-"));
  await mkdir(join(dir, "scripts", "local"), { recursive: true });
  await writeFile(join(dir, "scripts", "local", "init.sh"), "echo local\n");
  await mkdir(join(dir, "scripts", "dironly", "init.sh"), { recursive: true });
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe("createReleaseProbe", () => {
  it.each([
    {
      name: "init.sh in the release tree, without a request",
      service: "local",
      url: "/r",
      want: true,
      asked: 0,
    },
    {
      name: "init.sh answering 200 at the download URL",
      service: "web",
      url: "/r/",
      want: true,
      asked: 1,
    },
    { name: "a 404 at the download URL", service: "plain", url: "/r", want: false, asked: 1 },
    { name: "a 410 at the download URL", service: "gone", url: "/r", want: false, asked: 1 },
    {
      name: "no download URL and no release in the tree",
      service: "plain",
      url: undefined,
      want: false,
      asked: 0,
    },
    { name: "a directory named init.sh", service: "dironly", url: undefined, want: false, asked: 0 },
  ])("decides $name", async ({ service, url, want, asked }) => {
    const probe = createReleaseProbe({ releaseDir: dir });
    const before = requests.length;
    const decision = await probe(service, url === undefined ? undefined : `${base}${url}`);
    expect(decision.bootstrap).toBe(want);
    expect(decision.reason).toMatch(want ? /init\.sh/ : /^no release/);
    expect(requests.length - before).toBe(asked);
  });

  it.each([
    { name: "a 503", service: "down", why: /answered 503/ },
    { name: "a 403", service: "private", why: /answered 403/ },
  ])("refuses to guess on $name: the service fails and is retried", async ({ service, why }) => {
    const error = await createReleaseProbe()(service, `${base}/r`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReleaseProbeError);
    expect((error as ReleaseProbeError).code).toBe("E_RELEASE_PROBE");
    expect((error as Error).message).toMatch(why);
  });

  it("gives up on a server that does not answer within its deadline", async () => {
    const error = await createReleaseProbe({ timeoutMs: 200 })("web", `${base}/hang`).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ReleaseProbeError);
    expect((error as Error).message).toMatch(/timed out/);
  });

  it("stops when the sync is aborted, with the sync's reason", async () => {
    const abort = new AbortController();
    const pending = createReleaseProbe()("web", `${base}/hang`, abort.signal);
    abort.abort(new Error("lost the leader Lease"));
    await expect(pending).rejects.toThrow("lost the leader Lease");
  });

  it("never shows credentials of the download URL", async () => {
    const secretBase = base.replace("http://", "http://user:hunter2@");
    const error = await createReleaseProbe()("down", `${secretBase}/r`).catch((e: unknown) => e);
    expect(String((error as Error).message)).not.toMatch(/hunter2|abc/);
  });
});
