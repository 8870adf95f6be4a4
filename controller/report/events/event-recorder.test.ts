import { createServer, type IncomingMessage, type Server } from "node:http";
import type { Logger } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { captureLogger } from "../../../test/github-server/harness.js";
import { localKubeRequest } from "../../../test/local-kube-request.js";
import { createManualTime } from "../../../test/manual-time.js";
import { createEventRecorder } from "./event-recorder.js";

// An apiserver that takes requests and never answers: what a sync must never wait on. The real apiserver's answers
// (a POST, a counted PATCH, a POST again when the Event is gone) are in test/e2e/kubernetes-state.e2e.test.ts.
let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

async function silentApiserver(): Promise<{ server: Server; received: IncomingMessage[] }> {
  const received: IncomingMessage[] = [];
  const silent = createServer((request) => {
    received.push(request);
  });
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  server = silent;
  return { server: silent, received };
}

describe("createEventRecorder on an apiserver that does not answer", () => {
  it("returns from emit at once, gives the write up at its timeout and says so once, and bounds what waits", async () => {
    const { server, received } = await silentApiserver();
    const capture = captureLogger();
    const recorder = createEventRecorder({
      request: localKubeRequest(server),
      pod: { name: "gitops-abc", namespace: "gitops", uid: "u1" },
      clock: createManualTime(),
      log: capture.log as unknown as Logger,
      timeoutMs: 50,
      maxPending: 2,
    });
    let idle = false;
    for (const message of ["a", "b", "c"]) recorder.emit("SyncFailed", "web", message);
    const waited = recorder.idle().then(() => {
      idle = true;
    });
    expect(idle).toBe(false);
    await waited;
    // Two written one after the other, each given up at its deadline; the third was past maxPending.
    expect(received.map((request) => `${request.method} ${request.url}`)).toEqual([
      "POST /api/v1/namespaces/gitops/events",
      "POST /api/v1/namespaces/gitops/events",
    ]);
    const warnings = capture.lines.filter((line) => line.level === "warn");
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings[0]?.fields)).toContain("did not answer within 50 ms");
  });

  it("stops: the write in flight is aborted at once and nothing more is sent", async () => {
    const { server, received } = await silentApiserver();
    const recorder = createEventRecorder({
      request: localKubeRequest(server),
      pod: { name: "gitops-abc", namespace: "gitops", uid: "u1" },
      clock: createManualTime(),
      log: captureLogger().log as unknown as Logger,
      timeoutMs: 60_000,
    });
    recorder.emit("SyncFailed", "web", "a");
    recorder.emit("SyncFailed", "web", "b");
    while (received.length === 0) await new Promise((resolve) => setImmediate(resolve));
    recorder.stop();
    await recorder.idle();
    recorder.emit("SyncFailed", "web", "c");
    await recorder.idle();
    expect(received).toHaveLength(1);
  });
});
