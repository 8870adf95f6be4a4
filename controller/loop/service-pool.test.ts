import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Applyer } from "../../applyers/applyer.js";
import {
  createGitHubWorld,
  type GitHubWorld,
  manifest,
  serviceFiles,
} from "../../test/github-server/harness.js";
import { createLoopWorld } from "../../test/loop-harness.js";
import { createManualTime } from "../../test/manual-time.js";
import { recordingApplyer } from "../../test/recording-applyer.js";
import { parseConfig } from "../config/load.js";
import { createFileStateStore } from "../record/state/file.js";
import { createGitHubSource } from "../source/github.js";
import type { Source } from "../source/source.js";
import { createController, POLL_CONCURRENCY } from "./controller.js";

let world: GitHubWorld;
let stateDir: string;

beforeEach(async () => {
  world = await createGitHubWorld();
  stateDir = await mkdtemp(join(tmpdir(), "service-pool-"));
});
afterEach(async () => {
  await world.close();
  await rm(stateDir, { recursive: true, force: true });
});

// More repositories than the old bound of repositories in flight, so the last ones only started once others ended.
const REPOS = Array.from({ length: POLL_CONCURRENCY + 2 }, (_, i) => `r${i}`);

/** gate is a promise the test opens by hand. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/**
 * controllerOver serves each name as repository org/<name> with services <name>-a and <name>-b (directories a and
 * b, one object each), through `source` and `applyer`, and resolves `othersLanded` once every service but `slow`'s
 * has recorded its result.
 */
async function controllerOver(
  wrap: { source?: (source: Source) => Source; applyer?: Applyer },
  slow: (service: string) => boolean,
) {
  for (const name of REPOS) {
    const repo = await world.addRepo("org", name, "t0ken");
    await repo.commit({ ...serviceFiles(`${name}-a`, "a", 1), ...serviceFiles(`${name}-b`, "b", 1) });
  }
  const config = parseConfig(`
github_configs:
${REPOS.map((n) => `  ${n}: { repo_owner: org, repo_name: ${n}, token: t0ken, api_url: "${world.server.url}" }`).join("\n")}
services:
${REPOS.flatMap((n) => [`  - { name: ${n}-a, github: ${n}, k8s_yaml_dir: a, stateless: false }`, `  - { name: ${n}-b, github: ${n}, k8s_yaml_dir: b, stateless: false }`]).join("\n")}
poll_interval: 30
`);
  const others = config.services.filter((service) => !slow(service.name)).length;
  const landed: string[] = [];
  const othersLanded = gate();
  const source = createGitHubSource({
    log: pino({ level: "silent" }),
    retry: { retries: 0, minDelayMs: 0 } as never,
  });
  const time = createManualTime();
  const controller = createController({
    config,
    source: wrap.source ? wrap.source(source) : source,
    applyer: wrap.applyer ?? recordingApplyer().applyer,
    store: createFileStateStore(stateDir),
    clock: time,
    timers: time,
    log: pino({ level: "silent" }),
    random: () => 0.5,
    listeners: [
      (result) => {
        landed.push(result.service);
        if (landed.filter((service) => !slow(service)).length === others) othersLanded.open();
      },
    ],
  });
  return { controller, config, landed, othersLanded: othersLanded.opened };
}

// Ten repositories on the GitHub test server take a few seconds on a loaded machine.
describe("the pool of service syncs", { timeout: 30_000 }, () => {
  it("lands every other repository's services while one repository's read is held", async () => {
    const read = gate();
    const held = (service: string) => service.startsWith("r0-");
    const { controller, config, landed, othersLanded } = await controllerOver(
      {
        source: (source) => ({
          ...source,
          poll: async (request) => {
            if (request.repository.repo === "r0") await read.opened;
            return source.poll(request);
          },
        }),
      },
      held,
    );
    const run = controller.runOnce();
    await othersLanded;
    expect(landed.filter(held)).toEqual([]);
    read.open();
    const results = await run;
    expect(results.map((result) => [result.service, result.status])).toEqual(
      config.services.map((service) => [service.name, "applied"]),
    );
  });

  it("lands every other service, its own repository's too, while one service's apply is held", async () => {
    const recorder = recordingApplyer();
    const apply = gate();
    const slow = (service: string) => service === "r0-a";
    let slowStarted = false;
    const applyer: Applyer = {
      ...recorder.applyer,
      async apply(objects, opts) {
        if (objects.some((object) => slow(object.metadata.name.replace(/-\d+$/, "")))) {
          slowStarted = true;
          await apply.opened;
        }
        return recorder.applyer.apply(objects, opts);
      },
    };
    const { controller, config, landed, othersLanded } = await controllerOver({ applyer }, slow);
    const run = controller.runOnce();
    await othersLanded;
    expect(slowStarted).toBe(true);
    expect(landed.filter(slow)).toEqual([]);
    apply.open();
    const results = await run;
    // Results keep the config's order, whatever order the services ended in.
    expect(results.map((result) => [result.service, result.status])).toEqual(
      config.services.map((service) => [service.name, "applied"]),
    );
    expect(landed.at(-1)).toBe("r0-a");
  });

  it("starts a service's sync once its dependency's in the same repository ended, though the state says it is ready", async () => {
    const loop = await createLoopWorld();
    try {
      const base = loop.configFor();
      const config = {
        ...base,
        services: base.services.map((service) =>
          service.name === "web" ? { ...service, dependsOn: ["db"] } : service,
        ),
      };
      const recorder = recordingApplyer();
      let dbHeld: { opened: Promise<void>; open: () => void } | undefined;
      const dbApplying = gate();
      const sent: string[] = [];
      const applyer: Applyer = {
        ...recorder.applyer,
        async apply(objects, opts) {
          const service = objects[0]?.metadata.name.replace(/-\d+$/, "") ?? "";
          if (service === "db" && dbHeld) {
            dbApplying.open();
            await dbHeld.opened;
          }
          sent.push(service);
          return recorder.applyer.apply(objects, opts);
        },
      };
      const controller = loop.controllerWith(applyer, config);
      await loop.repo.commit({ "web/a.yaml": manifest("web", 1), "db/a.yaml": manifest("db", 1) });
      await controller.runOnce();
      // Both landed, so the state says web's dependency is ready when the next commit is read.
      dbHeld = gate();
      await loop.repo.commit({ "web/a.yaml": manifest("web", 1, 2), "db/a.yaml": manifest("db", 1, 2) });
      const from = sent.length;
      const run = controller.runOnce();
      await dbApplying.opened;
      // web's set is read and rendered already: were it not waiting, its apply would start within a few turns.
      for (let turn = 0; turn < 50; turn++) await new Promise((resolve) => setImmediate(resolve));
      expect(sent.slice(from)).toEqual([]);
      dbHeld.open();
      const results = await run;
      expect([sent.slice(from), results.map((result) => [result.service, result.status])]).toEqual([
        ["db", "web"],
        [
          ["db", "applied"],
          ["web", "applied"],
        ],
      ]);
    } finally {
      await loop.close();
    }
  });
});
