import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { Secret } from "../../config/secret.js";
import type { SyncResult } from "../../record/result.js";
import { createNotifyDispatcher } from "./dispatcher.js";
import { genericFormat } from "./generic.js";
import type { NotifyTarget } from "./notifier.js";
import { slackFormat } from "./slack.js";

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** startReceiver answers with `statuses` in turn (then 200), recording every request; `hang` never answers. */
async function startReceiver(statuses: number[] = [], hang = false) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
      if (hang) return;
      res.statusCode = statuses.shift() ?? 200;
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { url, received, close };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const result: SyncResult = {
  service: "etcd",
  repoKey: "nokube",
  repo: "AI-Infra-Team/nokube@main",
  commit: "a1b2c3d4",
  trigger: "poll",
  dryRun: false,
  status: "applied",
  startedAt: "2025-09-01T11:45:00.000Z",
  durationMs: 1500,
  files: {
    changed: ["examples/etcd/sts.yaml"],
    applied: ["examples/etcd/sts.yaml"],
    failed: [],
    deleted: [],
  },
  objects: [
    { apiVersion: "apps/v1", kind: "StatefulSet", namespace: "default", name: "etcd", action: "created" },
  ],
  pruned: [],
  unhealthy: [],
  orphaned: [],
};
const log = pino({ level: "silent" });
const clock = () => new Date("2025-09-01T11:45:02.000Z");

function target(url: string, overrides: Partial<NotifyTarget> = {}): NotifyTarget {
  return { name: "generic#0", url: new Secret(url), format: genericFormat, ...overrides };
}

describe("notification dispatcher", () => {
  it("retries a receiver that fails twice, then delivers each notification exactly once, signed", async () => {
    const receiver = await startReceiver([500, 503]);
    closers.push(receiver.close);
    const sleeps: number[] = [];
    const notifier = createNotifyDispatcher({
      targets: [target(receiver.url, { secret: new Secret("hmac-secret") })],
      log,
      clock,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      baseDelayMs: 100,
    });
    notifier.notify(result, { "examples/etcd/sts.yaml": "blob123" });
    await notifier.flush();

    expect(sleeps).toEqual([100, 200]);
    expect(receiver.received).toHaveLength(4);
    const [failed1, failed2, file, summary] = receiver.received.map((r) => JSON.parse(r.body));
    expect(failed1).toEqual(file);
    expect(failed2).toEqual(file);
    expect(file).toEqual({
      event: "manifest_applied",
      service_name: "etcd",
      file_path: "examples/etcd/sts.yaml",
      sha: "blob123",
      status: "success",
      timestamp: "2025-09-01T11:45:02.000Z",
      error: null,
      repo: "AI-Infra-Team/nokube@main",
      commit_id: "a1b2c3d4",
    });
    expect(summary).toMatchObject({ event: "sync_completed", status: "applied", objects: { created: 1 } });
    for (const { headers, body } of receiver.received) {
      const expected = `sha256=${createHmac("sha256", "hmac-secret").update(body).digest("hex")}`;
      expect(headers["x-signature"]).toBe(expected);
      expect(headers["content-type"]).toBe("application/json");
    }
  });

  it("sends the same commit and file only once, but a later success after a failure", async () => {
    const receiver = await startReceiver();
    closers.push(receiver.close);
    const notifier = createNotifyDispatcher({ targets: [target(receiver.url)], log, clock });
    const failedResult: SyncResult = {
      ...result,
      status: "failed",
      files: {
        changed: ["examples/etcd/sts.yaml"],
        applied: [],
        failed: [{ path: "examples/etcd/sts.yaml", error: "invalid" }],
        deleted: [],
      },
    };
    notifier.notify(failedResult);
    notifier.notify(failedResult);
    notifier.notify(result);
    notifier.notify(result);
    await notifier.flush();
    const sent = receiver.received.map((r) => JSON.parse(r.body)).map((b) => `${b.event}:${b.status}`);
    expect(sent).toEqual([
      "manifest_applied:failed",
      "sync_completed:failed",
      "manifest_applied:success",
      "sync_completed:applied",
    ]);
    expect(receiver.received[0]?.headers["x-signature"]).toBeUndefined();
  });

  it("never blocks the caller on a receiver that does not answer, and gives up after bounded retries", async () => {
    const receiver = await startReceiver([], true);
    closers.push(receiver.close);
    const notifier = createNotifyDispatcher({
      targets: [target(receiver.url)],
      log,
      clock,
      sleep: async () => {},
      retries: 2,
      timeoutMs: 50,
    });
    const started = performance.now();
    notifier.notify(result);
    expect(performance.now() - started).toBeLessThan(20);
    expect(notifier.pending()).toBeGreaterThan(0);
    await notifier.flush();
    expect(notifier.pending()).toBe(0);
    // Two notifications (file, summary), three attempts each.
    expect(receiver.received).toHaveLength(6);
  });

  it("does not retry a receiver's 4xx, and keeps delivering to the other targets", async () => {
    const refusing = await startReceiver([400, 400]);
    const healthy = await startReceiver();
    closers.push(refusing.close, healthy.close);
    const notifier = createNotifyDispatcher({
      targets: [target(refusing.url), target(healthy.url, { name: "slack#1", format: slackFormat })],
      log,
      clock,
      sleep: async () => {},
    });
    notifier.notify(result);
    await notifier.flush();
    expect(refusing.received).toHaveLength(2);
    expect(healthy.received.map((r) => JSON.parse(r.body))).toEqual([
      {
        text: ":white_check_mark: simple-gitops applied etcd at a1b2c3d4 (AI-Infra-Team/nokube@main): 1 file(s) applied",
      },
    ]);
  });

  it("keeps a refused notification sendable later (only delivered ones are de-duplicated)", async () => {
    const receiver = await startReceiver([400, 400]);
    closers.push(receiver.close);
    const notifier = createNotifyDispatcher({ targets: [target(receiver.url)], log, clock });
    notifier.notify(result);
    await notifier.flush();
    notifier.notify(result);
    await notifier.flush();
    expect(receiver.received).toHaveLength(4);
  });
});
