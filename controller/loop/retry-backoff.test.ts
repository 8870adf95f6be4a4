import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { captureLogger, manifest } from "../../test/github-server/harness.js";
import { createLoopWorld, type LoopWorld } from "../../test/loop-harness.js";
import { recordingApplyer } from "../../test/recording-applyer.js";
import { createGitHubSource } from "../source/github.js";
import type { Controller } from "./controller.js";

// A failing commit is retried with a growing backoff, but the repository is still polled every interval: a commit
// that moves the head is applied at the next poll, and an idle poll stays one free conditional request.

let loop: LoopWorld;
let sourceLogs: ReturnType<typeof captureLogger>;
let applying: ReturnType<typeof recordingApplyer>;
let controller: Controller;
let lines: { msg: string; service?: string; commit?: string }[];
let pollMs: number;

beforeEach(async () => {
  loop = await createLoopWorld();
  sourceLogs = captureLogger();
  applying = recordingApplyer();
  lines = [];
  const config = loop.configFor();
  pollMs = config.pollIntervalSeconds * 1000;
  controller = loop.controllerWith(applying.applyer, config, {
    source: createGitHubSource({ log: sourceLogs.log, retry: { retries: 0, minDelayMs: 0 } as never }),
    log: pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line)) }),
  });
});
afterEach(async () => {
  await controller.stop();
  await loop.close();
});

/** poll moves time one poll interval (the harness's jitter is 0) and waits for the run it starts. */
async function poll(): Promise<void> {
  await loop.time.advance(pollMs);
  await controller.idle();
}

const BROKEN = "web-9";
const triesOfBroken = () => applying.names().filter((names) => names.includes(BROKEN)).length;

describe("a failing commit backs off, a new head does not wait for it", () => {
  it("applies a fix pushed two minutes into the backoff at the next poll, with a bounded number of retries", async () => {
    await loop.repo.commit({
      "web/deploy.yaml": manifest("web", 1),
      "db/config.yaml": manifest("db", 1),
    });
    await controller.start();
    await controller.idle();
    applying.failNames.add(BROKEN);
    const bad = await loop.repo.commit({ "web/broken.yaml": manifest("web", 9) });
    await poll();
    expect(controller.getState().services.web?.lastError?.commit).toBe(bad);
    const failedAt = loop.time.now();

    // Two minutes of a failing commit: every poll still asks GitHub, and only a poll past the backoff applies.
    let polls = 0;
    let heldPolls = 0;
    while (loop.time.now() - failedAt < 4 * pollMs) {
      loop.world.server.resetRequests();
      const before = triesOfBroken();
      const appliedBefore = applying.applied.length;
      await poll();
      polls += 1;
      if (triesOfBroken() === before) {
        heldPolls += 1;
        expect(applying.applied).toHaveLength(appliedBefore);
        // Held back, the poll is the one conditional request GitHub answers 304 and does not charge.
        expect(loop.world.server.counts()).toEqual({ total: 1, notModified: 1, charged: 0 });
      }
    }
    const tries = triesOfBroken();
    const backoffSpan = loop.time.now() - failedAt;
    // With a backoff doubling from one poll interval, the retries in a span are at most log2(span / interval + 1).
    expect(tries - 1).toBeLessThanOrEqual(Math.floor(Math.log2(backoffSpan / pollMs + 1)));
    expect(tries - 1).toBeLessThan(polls);
    expect(heldPolls).toBe(polls - (tries - 1));
    expect(controller.getState().services.web?.failures).toBe(tries);

    const fix = await loop.repo.commit({ "web/broken.yaml": null });
    const pushedAt = loop.time.now();
    while (controller.getState().services.web?.commit !== fix && loop.time.now() - pushedAt < 10 * pollMs)
      await poll();
    expect(controller.getState().services.web).toMatchObject({ commit: fix, failures: 0 });
    expect(loop.time.now() - pushedAt).toBeLessThanOrEqual(2 * pollMs);
    expect(triesOfBroken()).toBe(tries);

    // The log tells each retry of the failed commit from the new head that replaced it.
    const webLines = lines.filter((line) => line.service === "web").map((line) => line.msg);
    expect(webLines.filter((msg) => msg === `retry of commit ${bad} after backoff`)).toHaveLength(tries - 1);
    expect(webLines.filter((msg) => msg === `new head ${fix}, replacing failed commit ${bad}`)).toHaveLength(
      1,
    );
    // The source says the head moved only when it did: at the bad commit and at the fix, not at each retry.
    const moved = sourceLogs.lines.filter((line) => line.message === "head moved, reading tree");
    expect(moved.map((line) => (line.fields as { commit: string }).commit)).toEqual([bad, fix]);
    // A held poll reads no tree: the first read, the bad commit, each retry and the fix are all that read one.
    const treeReads = sourceLogs.lines.filter((line) => line.message?.endsWith(", reading tree"));
    expect(treeReads).toHaveLength(1 + 1 + (tries - 1) + 1);
  });

  it("retries the failing commit only once its backoff ran out when nothing new is pushed, and lands it", async () => {
    await loop.repo.commit({ "web/deploy.yaml": manifest("web", 1), "db/config.yaml": manifest("db", 1) });
    await controller.start();
    await controller.idle();
    applying.failNames.add(BROKEN);
    const bad = await loop.repo.commit({ "web/broken.yaml": manifest("web", 9) });
    while (triesOfBroken() < 2) await poll();
    applying.failNames.delete(BROKEN);
    const retryAfter = Date.parse(controller.getState().services.web?.retryAfter ?? "");
    let heldPolls = 0;
    while (loop.time.now() + pollMs < retryAfter) {
      await poll();
      heldPolls += 1;
      expect(triesOfBroken()).toBe(2);
    }
    expect(heldPolls).toBeGreaterThan(0);
    await poll();
    expect(controller.getState().services.web).toMatchObject({ commit: bad, failures: 0 });
    expect(triesOfBroken()).toBe(3);
  });

  it("leaves a service held at the head alone when the poll reads the tree for another service's retry", async () => {
    await loop.repo.commit({ "web/deploy.yaml": manifest("web", 1), "db/config.yaml": manifest("db", 1) });
    await controller.start();
    await controller.idle();
    applying.failNames.add(BROKEN);
    applying.failNames.add("db-9");
    await loop.repo.commit({ "web/broken.yaml": manifest("web", 9), "db/broken.yaml": manifest("db", 9) });
    await poll();
    // A manual sync fails db again: its backoff now runs out a poll later than web's.
    controller.requestSync({ trigger: "manual", service: "db" });
    await controller.idle();
    const { web, db } = controller.getState().services;
    expect(Date.parse(db?.retryAfter ?? "")).toBeGreaterThan(Date.parse(web?.retryAfter ?? ""));
    const triesOf = (name: string) => applying.names().filter((names) => names.includes(name)).length;
    const [webTries, dbTries] = [triesOf(BROKEN), triesOf("db-9")];
    await poll();
    expect([triesOf(BROKEN), triesOf("db-9")]).toEqual([webTries + 1, dbTries]);
  });

  it("keeps a failed commit's backoff through a GitHub outage: the poll after it does not retry early", async () => {
    await loop.repo.commit({ "web/deploy.yaml": manifest("web", 1), "db/config.yaml": manifest("db", 1) });
    await controller.start();
    await controller.idle();
    applying.failNames.add(BROKEN);
    await loop.repo.commit({ "web/broken.yaml": manifest("web", 9) });
    while (triesOfBroken() < 3) await poll();
    const retryAfter = Date.parse(controller.getState().services.web?.retryAfter ?? "");
    loop.world.server.failNext(/\/branches\//, 1, { kind: "status", status: 502 });
    await poll();
    expect(controller.getState().services.web?.lastError?.code).toBe("E_APPLY");
    expect(loop.time.now() + pollMs).toBeLessThan(retryAfter);
    await poll();
    expect(triesOfBroken()).toBe(3);
    expect(controller.getState().services.web).toMatchObject({ failures: 3 });
  });
});
