import { afterAll, beforeAll, beforeEach } from "vitest";
import type { CliDeps } from "../../cli/command.js";
import { runCli } from "../../cli/run.js";
import type { SyncResult } from "../../controller/record/result.js";
import type { RollbackOutcome, ServiceControl } from "../../controller/record/service-control.js";
import type { AuditEvent, ServiceState } from "../../controller/record/state/state.js";
import { emptyServiceState } from "../../controller/record/state/state.js";
import type { ServerOptions } from "../../controller/report/server/options.js";
import type { KubeRequest } from "../../kube/http.js";
import {
  type RunningServer,
  startTestServer,
  TEST_NOW,
  testConfig,
  testEvent,
  testState,
} from "../server/test-harness.js";

/** SYNC_TOKEN is the test server's sync token (test/server/test-harness.ts). */
export const SYNC_TOKEN = "sync-token-123";

/** FakeLoop is the controller loop behind a CLI test server: what it was asked, and how it answers a rollback. */
export interface FakeLoop {
  readonly asked: { kind: string; service: string; by: string; reason?: string; commit?: string }[];
  /** rollbackOutcome is how the next rollback ends; undefined leaves it running. */
  rollbackOutcome?: RollbackOutcome;
}

/**
 * startCliServer is the real HTTP server of the status API over the test harness's state, with a loop that
 * suspends and resumes in that state as the real one records it, and answers rollbacks as the test says.
 */
export async function startCliServer(
  overrides: Partial<ServerOptions> = {},
): Promise<{ t: RunningServer; loop: FakeLoop }> {
  const loop: FakeLoop = { asked: [] };
  let t: RunningServer | undefined;
  const serviceState = (name: string): ServiceState => t?.state.services[name] ?? emptyServiceState();
  const setService = (name: string, next: ServiceState) => {
    if (t) t.state = { ...t.state, services: { ...t.state.services, [name]: next } };
  };
  const known = testConfig().services.map((service) => service.name);
  const unknown = (service: string) =>
    known.includes(service)
      ? undefined
      : ({
          ok: false,
          code: "not_found",
          reason: `unknown service "${service}" (known: ${known.join(", ")})`,
        } as const);
  const control: ServiceControl = {
    async changeSuspension(kind, service, request) {
      const refused = unknown(service);
      if (refused) return refused;
      loop.asked.push({
        kind,
        service,
        by: request.by,
        ...(request.reason ? { reason: request.reason } : {}),
      });
      const current = serviceState(service);
      if (kind === "suspend") {
        if (current.suspended) return { ok: true, change: { changed: false, suspension: current.suspended } };
        const suspension = {
          by: request.by,
          at: TEST_NOW.toISOString(),
          ...(request.reason ? { reason: request.reason } : {}),
          ...(current.commit ? { commit: current.commit } : {}),
        };
        setService(service, { ...current, suspended: suspension });
        return { ok: true, change: { changed: true, suspension } };
      }
      const { suspended, ...rest } = current;
      setService(service, rest);
      return suspended
        ? { ok: true, change: { changed: true, suspension: suspended } }
        : { ok: true, change: { changed: false } };
    },
    rollback(service, ask) {
      const refused = unknown(service);
      if (refused) return refused;
      loop.asked.push({ kind: "rollback", service, by: ask.actor, commit: ask.commit });
      const outcome = loop.rollbackOutcome;
      return {
        ok: true,
        commit: ask.commit.padEnd(40, "0"),
        outcome: outcome ? Promise.resolve(outcome) : new Promise(() => {}),
      };
    },
  };
  t = await startTestServer({ control, ...overrides });
  return { t, loop };
}

/**
 * useCliServer starts a CLI test server for the file (startCliServer) and gives each test fresh state: the
 * harness's test state, and nothing asked of the loop yet.
 */
export function useCliServer(): { readonly t: RunningServer; readonly loop: FakeLoop } {
  let started: { t: RunningServer; loop: FakeLoop } | undefined;
  const running = () => {
    if (!started) throw new Error("the CLI test server is not started yet");
    return started;
  };
  beforeAll(async () => {
    started = await startCliServer();
  });
  afterAll(async () => {
    await started?.t.server.close();
  });
  beforeEach(() => {
    const { t, loop } = running();
    t.state = testState();
    t.syncRequests.length = 0;
    loop.asked.length = 0;
    delete loop.rollbackOutcome;
  });
  return {
    get t() {
      return running().t;
    },
    get loop() {
      return running().loop;
    },
  };
}

/** CliRun is what one run of the CLI printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** slept lists each wait the CLI asked for, in ms. */
  readonly slept: number[];
}

/** CliOptions give a run its environment, a hook for each wait (the loop landing a result), and an apiserver. */
export interface CliOptions {
  readonly env?: Record<string, string>;
  readonly onSleep?: (n: number) => void;
  readonly kube?: (path: string | undefined) => KubeRequest;
  readonly signal?: AbortSignal;
  readonly deps?: Partial<CliDeps>;
}

/**
 * cli runs `simple-gitops ARGS` in-process on manual time starting at the test server's clock: each wait moves the
 * clock by its length and calls `onSleep`, so following a status never sleeps for real.
 */
export async function cli(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  let now = TEST_NOW.getTime();
  const slept: number[] = [];
  const code = await runCli(args, {
    env: options.env ?? {},
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    user: () => "tester",
    now: () => now,
    sleep: async (ms, signal) => {
      signal.throwIfAborted();
      slept.push(ms);
      now += ms;
      options.onSleep?.(slept.length);
    },
    signal: options.signal ?? new AbortController().signal,
    kube:
      options.kube ??
      (() => async () => {
        throw new Error("this test has no apiserver");
      }),
    ...options.deps,
  });
  return { code, stdout, stderr, slept };
}

/** manualResult is the audit entry of a manual sync of `service` that started `afterMs` after the server's now. */
export function manualResult(
  service: string,
  overrides: Partial<AuditEvent> = {},
  afterMs = 500,
): AuditEvent {
  return testEvent(900, {
    id: `manual-${service}-${afterMs}`,
    time: new Date(TEST_NOW.getTime() + afterMs).toISOString(),
    trigger: "manual",
    service,
    commit: "c0ffee1234567890c0ffee1234567890c0ffee12",
    objects: [
      { kind: "ConfigMap", namespace: "default", name: "a", action: "configured" },
      { kind: "ConfigMap", namespace: "default", name: "b", action: "unchanged" },
    ],
    durationMs: 1500,
    ...overrides,
  });
}

/** rolledBack is the outcome of a rollback of etcd that ran, landed or not. */
export function rolledBack(status: "applied" | "failed", commit: string): RollbackOutcome {
  const result: SyncResult = {
    service: "etcd",
    repoKey: "nokube",
    repo: "AI-Infra-Team/nokube@main",
    commit,
    trigger: "rollback",
    dryRun: false,
    status,
    startedAt: TEST_NOW.toISOString(),
    durationMs: 2000,
    files: { changed: [], applied: [], failed: [], deleted: [] },
    objects: [
      { apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "a", action: "configured" },
      { apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "b", action: "unchanged" },
    ],
    pruned: [{ apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "c", action: "deleted" }],
    unhealthy: [],
    orphaned: [],
    ...(status === "failed"
      ? { error: { code: "E_HEALTH", message: "Deployment default/web did not become available in 300 s" } }
      : {
          suspended: { by: "tester", at: TEST_NOW.toISOString(), reason: `rolled back to ${commit}`, commit },
        }),
  };
  return { status: "ran", result };
}
