import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import type { Applyer } from "../applyers/applyer.js";
import { parseConfig } from "../controller/config/load.js";
import type { Config } from "../controller/config/types.js";
import { type Controller, type ControllerDeps, createController } from "../controller/loop/controller.js";
import { createFileStateStore } from "../controller/record/state/file.js";
import { createGitHubSource } from "../controller/source/github.js";
import type { GitRepo } from "./github-server/git-repo.js";
import { createGitHubWorld, type GitHubWorld } from "./github-server/harness.js";
import { createManualTime, type ManualTime } from "./manual-time.js";

/** LoopWorld is a controller's surroundings for the loop's tests: the GitHub test server with one real git repository,
 * manual time and a state directory. */
export interface LoopWorld {
  readonly world: GitHubWorld;
  readonly repo: GitRepo;
  readonly time: ManualTime;
  readonly stateDir: string;
  /** configFor is services web (dir web/) and db (dir db/) of org/gitops, polled every 30 s, plus `extra` YAML. */
  configFor(extra?: string): Config;
  controllerWith(applyer: Applyer, config?: Config, extra?: Partial<ControllerDeps>): Controller;
  close(): Promise<void>;
}

/** createLoopWorld starts the GitHub test server with repository org/gitops (token t0ken). */
export async function createLoopWorld(): Promise<LoopWorld> {
  const world = await createGitHubWorld();
  const repo = await world.addRepo("org", "gitops", "t0ken");
  const stateDir = await mkdtemp(join(tmpdir(), "loop-state-"));
  const time = createManualTime();
  const configFor = (extra = ""): Config =>
    parseConfig(`
github_configs:
  main: { repo_owner: org, repo_name: gitops, token: t0ken, api_url: "${world.server.url}" }
services:
  - { name: web, github: main, k8s_yaml_dir: web, stateless: false }
  - { name: db, github: main, k8s_yaml_dir: db, stateless: false }
poll_interval: 30
${extra}`);
  return {
    world,
    repo,
    time,
    stateDir,
    configFor,
    controllerWith: (applyer, config = configFor(), extra = {}) =>
      createController({
        config,
        source: createGitHubSource({ retry: { retries: 0, minDelayMs: 0 } as never }),
        applyer,
        store: createFileStateStore(stateDir),
        clock: time,
        timers: time,
        log: pino({ level: "silent" }),
        random: () => 0.5,
        ...extra,
      }),
    async close() {
      await world.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
