import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { captureLogger, manifest } from "../../test/github-server/harness.js";
import type { InjectedFailure } from "../../test/github-server/server.js";
import { createLoopWorld, type LoopWorld } from "../../test/loop-harness.js";
import { recordingApplyer } from "../../test/recording-applyer.js";
import { serviceHealth } from "../report/server/views.js";
import { createGitHubSource } from "../source/github.js";
import type { Controller } from "./controller.js";

// The fault suite: the real loop and GitHub source against the GitHub test server with injected faults, on manual
// time. Each test asserts convergence (every service lands at the head), no change lost (what was applied last is
// the head's text), nothing wrongly deleted, and a bound on the requests spent.

const POLL_MS = 30_000;
const TIMEOUT_MS = 5_000;
const API = /^\/repos\//;

let loop: LoopWorld;
let logs: ReturnType<typeof captureLogger>;
let applying: ReturnType<typeof recordingApplyer>;
let controller: Controller;
/** The controller's own log lines (the recorder's included), as pino writes them. */
let controllerLines: { level: number; msg: string }[];

beforeEach(async () => {
  loop = await createLoopWorld();
  logs = captureLogger();
  applying = recordingApplyer();
  // Request deadlines run on the test's clock: a hung request is abandoned when the test moves time, not after 30 s.
  const deadline = (ms: number) => {
    const timer = new AbortController();
    loop.time.after(() => timer.abort(new DOMException("deadline", "TimeoutError")), ms);
    return timer.signal;
  };
  const source = createGitHubSource({
    log: logs.log,
    retry: { retries: 2, rateLimitRetries: 2, maxRetryAfterSeconds: 60, baseMs: 0 },
    requestTimeoutMs: TIMEOUT_MS,
    deadline,
  });
  controllerLines = [];
  controller = loop.controllerWith(applying.applyer, loop.configFor("prune: true"), {
    source,
    readObject: applying.readObject,
    log: pino({ level: "debug" }, { write: (line: string) => void controllerLines.push(JSON.parse(line)) }),
  });
});
afterEach(async () => {
  await controller.stop();
  await loop.close();
});

/** commitBoth changes every file of web and db to `version`. */
function commitBoth(version: number) {
  return loop.repo.commit({
    "web/deploy.yaml": manifest("web", 1, version),
    "web/service.yaml": manifest("web", 2, version),
    "db/config.yaml": manifest("db", 1, version),
  });
}

/** poll moves time one poll interval and waits for the run it starts. */
async function poll() {
  await loop.time.advance(POLL_MS);
  await controller.idle();
}

/** landedAt says whether every service has landed whole at `commit`, with no error standing. */
function landedAt(commit: string): boolean {
  const services = controller.getState().services;
  return ["web", "db"].every((name) => services[name]?.commit === commit && !services[name]?.lastError);
}

/** appliedVersions is the `data.version` each object was last applied with, by name. */
function appliedVersions() {
  const versions: Record<string, unknown> = {};
  for (const object of applying.applied.flat())
    versions[object.metadata.name] = (object as { data?: { version?: string } }).data?.version;
  return versions;
}

async function startAt(version: number) {
  const commit = await commitBoth(version);
  await controller.start();
  await controller.idle();
  expect(landedAt(commit)).toBe(true);
  loop.world.server.resetRequests();
}

describe("under injected GitHub faults the loop converges, loses no change and deletes nothing wrongly", () => {
  const storms: [string, InjectedFailure, number][] = [
    ["40% 502s", { kind: "status", status: 502 }, 0.4],
    ["30% connections reset before the answer", { kind: "drop" }, 0.3],
    ["30% connections reset mid-body", { kind: "reset" }, 0.3],
    ["30% secondary rate limits", { kind: "secondary-rate-limit", retryAfterSeconds: 1 }, 0.3],
    ["30% 429s with Retry-After", { kind: "too-many-requests", retryAfterSeconds: 1 }, 0.3],
  ];
  it.each(storms)("%s across three pushes", async (_name, failure, probability) => {
    await startAt(1);
    loop.world.server.failRandom(API, probability, failure);
    let head = "";
    let polls = 0;
    for (const version of [2, 3, 4]) {
      head = await commitBoth(version);
      await poll();
      polls += 1;
    }
    while (!landedAt(head) && polls < 20) {
      await poll();
      polls += 1;
    }

    expect(landedAt(head)).toBe(true);
    expect(appliedVersions()).toEqual({ "web-1": "4", "web-2": "4", "db-1": "4" });
    expect(applying.deleted).toEqual([]);
    // Per poll at most: the head, each retried twice, plus the tree and 3 blobs, each retried twice.
    expect(loop.world.server.requests.length).toBeLessThanOrEqual(polls * 3 * 5);
    const states = controller.getState().services;
    expect([serviceHealth(states.web), serviceHealth(states.db)]).toEqual(["deployed", "deployed"]);
  });

  it("abandons a hung request at its deadline, logs the slow call at warn, and the next poll converges", async () => {
    await startAt(1);
    const head = await commitBoth(2);
    loop.world.server.failNext(/\/branches\//, 1, { kind: "hang" });
    await loop.time.advance(POLL_MS);
    await expect.poll(() => loop.world.server.requests.some((record) => record.fault === "hang")).toBe(true);
    await loop.time.advance(TIMEOUT_MS);
    await controller.idle();

    const slow = logs.lines.filter(
      (line) => line.level === "warn" && (line.fields as { call?: string }).call !== undefined,
    );
    expect(slow.map((line) => line.message)).toEqual([
      `GitHub request GET ${loop.world.server.url}/repos/org/gitops/branches/main did not answer within ${TIMEOUT_MS} ms`,
    ]);
    expect(controller.getState().services.web?.lastError?.code).toBe("E_SOURCE_UNAVAILABLE");
    await poll();
    expect(landedAt(head)).toBe(true);
    expect(appliedVersions()).toEqual({ "web-1": "2", "web-2": "2", "db-1": "2" });
  });

  it("keeps deployed services deployed while the hourly limit is exhausted, shows the repository waiting, then resumes", async () => {
    await startAt(1);
    loop.world.server.setRemaining("t0ken", 0);
    const head = await commitBoth(2);
    await poll();
    await poll();

    const state = controller.getState();
    expect([serviceHealth(state.services.web), serviceHealth(state.services.db)]).toEqual([
      "deployed",
      "deployed",
    ]);
    expect(state.waiting?.main?.code).toBe("E_SOURCE_RATE_LIMITED");
    expect(Date.parse(state.waiting?.main?.until ?? "")).toBeGreaterThan(Date.now());
    expect(state.waiting?.main?.message).toContain(`until ${state.waiting?.main?.until}`);
    expect(applying.applied).toHaveLength(2);
    // Two limited polls, one wait: a single warn line says so.
    const waits = controllerLines.filter(
      (line) => line.level === 40 && line.msg.startsWith("waiting for GitHub"),
    );
    expect(waits).toHaveLength(1);

    loop.world.server.setRemaining("t0ken", 5000);
    await poll();
    expect(controller.getState().waiting?.main).toBeUndefined();
    expect(landedAt(head)).toBe(true);
    expect(appliedVersions()).toEqual({ "web-1": "2", "web-2": "2", "db-1": "2" });
  });

  it("clears a revoked token's error on the first good poll, without applying again, when the head did not move", async () => {
    await startAt(1);
    const applied = applying.applied.length;
    loop.world.server.revokeToken("t0ken");
    await poll();
    await poll();
    expect(controller.getState().services.web?.lastError?.code).toBe("E_SOURCE_BAD_CREDENTIALS");
    expect(serviceHealth(controller.getState().services.web)).toBe("failed");

    loop.world.server.allowToken("t0ken");
    await poll();

    const state = controller.getState();
    expect([serviceHealth(state.services.web), serviceHealth(state.services.db)]).toEqual([
      "deployed",
      "deployed",
    ]);
    expect([state.services.web?.failures, state.services.web?.retryAfter]).toEqual([0, undefined]);
    expect(applying.applied).toHaveLength(applied);
  });

  it("keeps a failed apply of the landed commit failed through a GitHub outage, and redoes it after", async () => {
    await startAt(1);
    applying.failNames.add("db-1");
    controller.requestSync({ trigger: "manual", service: "db" });
    await controller.idle();
    expect(controller.getState().services.db?.lastError?.code).toBe("E_APPLY");
    loop.world.server.failNext(API, 3, { kind: "status", status: 502 });
    await poll();
    expect(controller.getState().services.db?.lastError?.code).toBe("E_APPLY");

    await poll();
    expect(serviceHealth(controller.getState().services.db)).toBe("failed");
    applying.failNames.delete("db-1");
    // Retried at its backoff, not cleared: it lands again once the apply goes through.
    for (
      let polls = 0;
      polls < 10 && serviceHealth(controller.getState().services.db) !== "deployed";
      polls++
    )
      await poll();
    expect(serviceHealth(controller.getState().services.db)).toBe("deployed");
    expect(applying.applied.at(-1)?.map((object) => object.metadata.name)).toContain("db-1");
    expect(applying.deleted).toEqual([]);
  });

  it("follows a force push back to an older commit, pruning only what left git, then a new push", async () => {
    const first = await loop.repo.commit({
      "web/deploy.yaml": manifest("web", 1),
      "db/config.yaml": manifest("db", 1),
    });
    await controller.start();
    await controller.idle();
    const second = await loop.repo.commit({ "web/service.yaml": manifest("web", 2) });
    await poll();
    expect(landedAt(second)).toBe(true);

    await loop.repo.resetTo(first);
    await poll();
    expect(landedAt(first)).toBe(true);
    expect(applying.deleted.flat().map((ref) => ref.name)).toEqual(["web-2"]);

    const third = await loop.repo.commit({ "db/config.yaml": manifest("db", 1, 3) });
    await poll();
    expect(landedAt(third)).toBe(true);
    expect(appliedVersions()["db-1"]).toBe("3");
    const lastWeb = applying.names().findLast((names) => names.some((name) => name.startsWith("web")));
    expect(lastWeb).toEqual(["web-1"]);
    expect(applying.deleted.flat().map((ref) => ref.name)).toEqual(["web-2"]);
  });
});
