import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { createGitHubWorld, type GitHubWorld } from "../github-server/harness.js";
import { type RealWorldStack, stackFiles } from "./stacks.js";

const MAIN = new URL("../../controller/main.ts", import.meta.url).pathname;

/** StackRunner serves public stacks from the GitHub test server and runs the real controller once on each. */
export interface StackRunner {
  /**
   * runOnce commits the stack to a repository of its own and runs `controller/main.ts --once` with `flags`, `config`
   * appended to the service's config and `env` added to the process's.
   */
  runOnce(
    stack: RealWorldStack,
    options: { flags?: string[]; config?: string; env?: Record<string, string> },
  ): Promise<{ code?: number; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

/** startStackRunner starts the GitHub test server and a temp directory for the configs and state. */
export async function startStackRunner(): Promise<StackRunner> {
  const world: GitHubWorld = await createGitHubWorld();
  const dir = await mkdtemp(join(tmpdir(), "real-world-"));
  return {
    async runOnce(stack, { flags = [], config: extra = "", env = {} }) {
      const repo = await world.addRepo("org", stack.name, "t0ken");
      await repo.commit(await stackFiles(stack));
      const config = join(dir, `${stack.name}.yaml`);
      const namespace = stack.namespace ? `, namespace: ${stack.namespace}` : "";
      await writeFile(
        config,
        `github_configs:
  stack: { repo_owner: org, repo_name: ${stack.name}, token_env: GH_TOKEN, api_url: "${world.server.url}" }
services:
  - { name: ${stack.name}, github: stack, k8s_yaml_dir: "${stack.dir}"${namespace} }
${extra}`,
      );
      const state = join(dir, stack.name);
      const run = await execa(
        process.execPath,
        ["--import", "tsx", MAIN, "--config", config, "--state-dir", state, "--once", ...flags],
        {
          reject: false,
          env: { GH_TOKEN: "t0ken", PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
        },
      );
      return { code: run.exitCode, stdout: String(run.stdout), stderr: String(run.stderr) };
    },
    async close() {
      await world.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
