import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { Secret } from "../../config/secret.js";
import type { SyncResult } from "../../record/result.js";
import { MAX_LISTED_CHANGES } from "./changes.js";
import { createNotifyDispatcher, type NotifyDispatcher } from "./dispatcher.js";
import { genericFormat } from "./generic.js";
import type { ServiceEvent } from "./messages.js";
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

/** seedTarget is a target with `per_file: true`: the seed's per-file events, then the summary. */
function seedTarget(url: string, overrides: Partial<NotifyTarget> = {}): NotifyTarget {
  return target(url, { perFile: true, ...overrides });
}

describe("notification dispatcher, with per_file", () => {
  it("retries a receiver that fails twice, then delivers each notification exactly once, signed", async () => {
    const receiver = await startReceiver([500, 503]);
    closers.push(receiver.close);
    const sleeps: number[] = [];
    const notifier = createNotifyDispatcher({
      targets: [seedTarget(receiver.url, { secret: new Secret("hmac-secret") })],
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
    const notifier = createNotifyDispatcher({ targets: [seedTarget(receiver.url)], log, clock });
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
      targets: [seedTarget(receiver.url)],
      log,
      clock,
      sleep: async () => {},
      retries: 2,
      timeoutMs: 50,
    });
    // notify returns before any delivery reached the receiver: the sync that called it never waits on one.
    expect(notifier.notify(result)).toBeUndefined();
    expect(receiver.received).toHaveLength(0);
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
      targets: [seedTarget(refusing.url), seedTarget(healthy.url, { name: "slack#1", format: slackFormat })],
      log,
      clock,
      sleep: async () => {},
    });
    notifier.notify(result);
    await notifier.flush();
    expect(refusing.received).toHaveLength(2);
    expect(healthy.received.map((r) => JSON.parse(r.body))).toEqual([
      {
        text: ":white_check_mark: [info] simple-gitops applied etcd at a1b2c3d4 (AI-Infra-Team/nokube@main): 1 file(s) applied\n• StatefulSet default/etcd: created",
      },
    ]);
  });

  it("keeps a refused notification sendable later (only delivered ones are de-duplicated)", async () => {
    const receiver = await startReceiver([400, 400]);
    closers.push(receiver.close);
    const notifier = createNotifyDispatcher({ targets: [seedTarget(receiver.url)], log, clock });
    notifier.notify(result);
    await notifier.flush();
    notifier.notify(result);
    await notifier.flush();
    expect(receiver.received).toHaveLength(4);
  });
});

const webDeployment = { apiVersion: "apps/v1", kind: "Deployment", namespace: "web", name: "web" };

/** overlay is a sync of six files (an overlay and its base), as a kustomize service lands. */
const overlay: SyncResult = {
  ...result,
  service: "web",
  commit: "feedface",
  trigger: "webhook",
  files: {
    changed: [],
    applied: ["base/a.yaml", "base/b.yaml", "base/c.yaml", "base/kustomization.yaml", "o/p.yaml", "o/k.yaml"],
    failed: [],
    deleted: [],
  },
  objects: [
    { ...webDeployment, action: "configured" },
    { apiVersion: "v1", kind: "Service", namespace: "web", name: "web", action: "unchanged" },
    { apiVersion: "v1", kind: "ConfigMap", namespace: "web", name: "web-env", action: "created" },
  ],
};

async function deliveredTo(targets: (url: string) => NotifyTarget[], send: (n: NotifyDispatcher) => void) {
  const receiver = await startReceiver();
  closers.push(receiver.close);
  const notifier = createNotifyDispatcher({ targets: targets(receiver.url), log, clock });
  send(notifier);
  await notifier.flush();
  return receiver.received.map((r) => JSON.parse(r.body));
}

describe("notification dispatcher, one notification per sync", () => {
  it("posts one summary for a six-file sync, with severity and the objects it changed", async () => {
    const sent = await deliveredTo(
      (url) => [target(url)],
      (n) => n.notify(overlay),
    );
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      event: "sync_completed",
      outcome: "applied",
      severity: "info",
      service_name: "web",
      repo: overlay.repo,
      commit_id: "feedface",
      trigger: "webhook",
      status: "applied",
      files_applied: overlay.files.applied,
      objects: { configured: 1, unchanged: 1, created: 1 },
      changes: [
        { kind: "ConfigMap", namespace: "web", name: "web-env", action: "created" },
        { kind: "Deployment", namespace: "web", name: "web", action: "configured" },
      ],
      changes_total: 2,
    });
  });

  it("announces a failed sync as one error, never as manifest_applied", async () => {
    const failed: SyncResult = {
      ...overlay,
      status: "failed",
      objects: [{ ...webDeployment, action: "failed", message: "admission webhook denied it" }],
      files: { ...overlay.files, applied: [], failed: [{ path: "o/p.yaml", error: "denied" }] },
      error: { code: "E_APPLY", message: "1 object failed" },
    };
    const sent = await deliveredTo(
      (url) => [target(url)],
      (n) => n.notify(failed),
    );
    expect(sent.map((b) => [b.event, b.severity, b.status])).toEqual([["sync_completed", "error", "failed"]]);
    expect(sent[0].changes).toEqual([
      {
        kind: "Deployment",
        namespace: "web",
        name: "web",
        action: "failed",
        message: "admission webhook denied it",
      },
    ]);
    expect(sent[0].error).toEqual(failed.error);
  });

  it("announces each drift correction at a landed commit, not only its first sync", async () => {
    const drift = (checkedAt: string): SyncResult => ({
      ...overlay,
      trigger: "reconcile",
      drift: { checkedAt, mode: "correct", objects: [{ ...webDeployment, action: "configured" }] },
      objects: overlay.objects.map((o) => (o.kind === "Deployment" ? o : { ...o, action: "unchanged" })),
    });
    const sent = await deliveredTo(
      (url) => [target(url)],
      (n) => {
        n.notify(overlay);
        n.notify(drift("2025-09-01T12:00:00.000Z"));
        n.notify(drift("2025-09-01T13:00:00.000Z"));
      },
    );
    expect(sent.map((b) => b.outcome)).toEqual(["applied", "drift_corrected", "drift_corrected"]);
    expect(sent[1].changes).toEqual([
      { kind: "Deployment", namespace: "web", name: "web", action: "configured" },
    ]);
  });

  it("announces a sync that only pruned, listing what it deleted", async () => {
    const pruned: SyncResult = {
      ...overlay,
      objects: overlay.objects.map((o) => ({ ...o, action: "unchanged" })),
      files: { ...overlay.files, applied: [], deleted: ["o/old.yaml"] },
      pruned: [
        { apiVersion: "v1", kind: "ConfigMap", namespace: "web", name: "old", action: "deleted" },
        { apiVersion: "v1", kind: "Secret", namespace: "web", name: "gone", action: "not-found" },
      ],
    };
    const sent = await deliveredTo(
      (url) => [target(url)],
      (n) => n.notify(pruned),
    );
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      outcome: "pruned",
      severity: "info",
      pruned: 1,
      files_deleted: ["o/old.yaml"],
      changes: [{ kind: "ConfigMap", namespace: "web", name: "old", action: "deleted" }],
      changes_total: 1,
    });
  });

  it("lists at most MAX_LISTED_CHANGES objects, failures first, and counts them all", async () => {
    const many = Array.from({ length: MAX_LISTED_CHANGES + 5 }, (_, i) => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      namespace: "web",
      name: `cm-${i}`,
      action: "created" as const,
    }));
    const big: SyncResult = {
      ...overlay,
      status: "failed",
      objects: [...many, { ...webDeployment, name: "bad", action: "failed" as const, message: "invalid" }],
    };
    const sent = await deliveredTo(
      (url) => [target(url)],
      (n) => n.notify(big),
    );
    expect(sent[0].changes).toHaveLength(MAX_LISTED_CHANGES);
    expect(sent[0].changes[0]).toMatchObject({ name: "bad", action: "failed" });
    expect(sent[0].changes_total).toBe(many.length + 1);
  });

  it("sends per-file events only to a target with per_file, and chat targets one message", async () => {
    const sent = await deliveredTo(
      (url) => [
        target(url),
        seedTarget(url, { name: "generic#1" }),
        target(url, { name: "slack#2", format: slackFormat }),
      ],
      (n) => n.notify(overlay),
    );
    const events = sent.map((b) => b.event ?? "slack");
    expect(events.filter((e) => e === "manifest_applied")).toHaveLength(overlay.files.applied.length);
    expect(events.filter((e) => e === "sync_completed")).toHaveLength(2);
    expect(events.filter((e) => e === "slack")).toHaveLength(1);
  });

  it("announces rollbacks, suspends and resumes through notifyEvent, each time they happen", async () => {
    const rollback: ServiceEvent = {
      event: "rolled_back",
      service: "web",
      repo: overlay.repo,
      commit: "c0ffee",
      by: "alice",
      result: { ...overlay, commit: "c0ffee", trigger: "manual" },
    };
    const suspend: ServiceEvent = {
      event: "suspended",
      service: "web",
      repo: overlay.repo,
      commit: "c0ffee",
    };
    const sent = await deliveredTo(
      (url) => [target(url)],
      (n) => {
        n.notifyEvent(rollback);
        n.notifyEvent({ ...rollback, by: undefined, failedCommit: "bad1", trigger: "poll" });
        n.notifyEvent(suspend);
        n.notifyEvent({ ...suspend, event: "resumed" });
        n.notifyEvent(suspend);
      },
    );
    expect(sent.map((b) => [b.event, b.severity, b.commit_id])).toEqual([
      ["rolled_back", "info", "c0ffee"],
      ["rolled_back", "error", "c0ffee"],
      ["suspended", "info", "c0ffee"],
      ["resumed", "info", "c0ffee"],
      ["suspended", "info", "c0ffee"],
    ]);
    expect(sent[0]).toMatchObject({ by: "alice", trigger: "manual", changes_total: 2 });
    expect(sent[1]).toMatchObject({ failed_commit: "bad1", trigger: "poll" });
  });
});
