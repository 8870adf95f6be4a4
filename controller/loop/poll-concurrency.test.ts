import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createGitHubWorld, type GitHubWorld, serviceFiles } from "../../test/github-server/harness.js";
import { createManualTime } from "../../test/manual-time.js";
import { recordingApplyer } from "../../test/recording-applyer.js";
import { parseConfig } from "../config/load.js";
import { createFileStateStore } from "../record/state/file.js";
import { createGitHubSource } from "../source/github.js";
import { createController, POLL_CONCURRENCY } from "./controller.js";

let world: GitHubWorld;
let stateDir: string;

beforeEach(async () => {
  world = await createGitHubWorld();
  stateDir = await mkdtemp(join(tmpdir(), "poll-concurrency-"));
});
afterEach(async () => {
  await world.close();
  await rm(stateDir, { recursive: true, force: true });
});

/**
 * controllerOver serves `names` as repositories org/<name> with one service each and returns a controller whose
 * GitHub requests go through `gate`: the test holds a repository's requests there to make its poll hang.
 */
async function controllerOver(names: readonly string[], gate: (repo: string) => Promise<void>) {
  for (const name of names) {
    const repo = await world.addRepo("org", name, "t0ken");
    await repo.commit(serviceFiles(name, "app", 1));
  }
  const config = parseConfig(`
github_configs:
${names.map((n) => `  ${n}: { repo_owner: org, repo_name: ${n}, token: t0ken, api_url: "${world.server.url}" }`).join("\n")}
services:
${names.map((n) => `  - { name: ${n}, github: ${n}, k8s_yaml_dir: app, stateless: false }`).join("\n")}
poll_interval: 30
`);
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const repo = /\/repos\/org\/([^/]+)\//.exec(url)?.[1];
    if (repo) await gate(repo);
    return globalThis.fetch(input, init);
  };
  const polled: string[] = [];
  const time = createManualTime();
  const controller = createController({
    config,
    source: createGitHubSource({ fetch, retry: { retries: 0, minDelayMs: 0 } as never }),
    applyer: recordingApplyer().applyer,
    store: createFileStateStore(stateDir),
    clock: time,
    timers: time,
    log: pino({ level: "silent" }),
    random: () => 0.5,
    onPoll: (outcome) => polled.push(outcome.repoKey),
  });
  return { controller, polled };
}

/** deferred is a promise with its resolve at hand. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("polling many repositories", () => {
  it("polls the others to the end while one repository's request hangs, and keeps the config's order", async () => {
    const names = ["held", "a", "b", "c"];
    const release = deferred();
    const othersDone = deferred();
    const { controller, polled } = await controllerOver(names, (repo) =>
      repo === "held" ? release.promise : Promise.resolve(),
    );
    const original = polled.push.bind(polled);
    polled.push = (...keys) => {
      const length = original(...keys);
      if (length === names.length - 1) othersDone.resolve();
      return length;
    };
    const run = controller.runOnce();
    // The held repository comes first in the config: polled one after another, nothing else would finish.
    await othersDone.promise;
    expect([...polled].sort()).toEqual(["a", "b", "c"]);
    release.resolve();
    const results = await run;
    expect(results.map((result) => [result.service, result.status])).toEqual(
      names.map((name) => [name, "applied"]),
    );
    const saved = await createFileStateStore(stateDir).load();
    expect(Object.keys(saved.services).sort()).toEqual([...names].sort());
  });

  it(`has at most ${POLL_CONCURRENCY} repositories in flight`, async () => {
    const names = Array.from({ length: POLL_CONCURRENCY + 3 }, (_, i) => `r${i}`);
    const release = deferred();
    const full = deferred();
    const started = new Set<string>();
    const { controller } = await controllerOver(names, (repo) => {
      started.add(repo);
      if (started.size === POLL_CONCURRENCY) full.resolve();
      return release.promise;
    });
    const run = controller.runOnce();
    await full.promise;
    // Every request is held, so no poll can end and make room; a ninth, if allowed, starts within a few turns of
    // the event loop (Octokit queues each request through its throttling plugin first).
    for (let turn = 0; turn < 50; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(started.size).toBe(POLL_CONCURRENCY);
    release.resolve();
    expect((await run).map((result) => result.status)).toEqual(names.map(() => "applied"));
    expect(started.size).toBe(names.length);
  });
});
