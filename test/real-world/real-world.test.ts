import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createGitHubWorld, type GitHubWorld } from "../github-server/harness.js";
import { comparable, identity, type KubeObject } from "./objects.js";
import { referenceBuild } from "./reference-build.js";
import { FIXTURES, type RealWorldStack, STACKS, stackFiles } from "./stacks.js";

const MAIN = new URL("../../controller/main.ts", import.meta.url).pathname;

let world: GitHubWorld;
let dir: string;

beforeAll(async () => {
  world = await createGitHubWorld();
  dir = await mkdtemp(join(tmpdir(), "real-world-"));
});
afterAll(async () => {
  await world.close();
  await rm(dir, { recursive: true, force: true });
});

/** dryRun serves the stack as a repository and runs the controller once with --dry-run, with no cluster to ask. */
async function dryRun(
  stack: RealWorldStack,
): Promise<{ objects: KubeObject[]; stderr: string; code?: number }> {
  const repo = await world.addRepo("org", stack.name, "t0ken");
  await repo.commit(await stackFiles(stack));
  const config = join(dir, `${stack.name}.yaml`);
  await writeFile(
    config,
    `github_configs:
  stack: { repo_owner: org, repo_name: ${stack.name}, token_env: GH_TOKEN, api_url: "${world.server.url}" }
services:
  - { name: ${stack.name}, github: stack, k8s_yaml_dir: "${stack.dir}"${stack.namespace ? `, namespace: ${stack.namespace}` : ""} }
`,
  );
  const run = await execa(
    process.execPath,
    [
      "--import",
      "tsx",
      MAIN,
      "--config",
      config,
      "--state-dir",
      join(dir, stack.name),
      "--once",
      "--dry-run",
    ],
    { reject: false, env: { GH_TOKEN: "t0ken", PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" } },
  );
  const objects = yaml.loadAll(String(run.stdout)).filter((doc): doc is KubeObject => doc !== null);
  return { objects, stderr: String(run.stderr), code: run.exitCode };
}

describe.each(STACKS)("the public stack $name ($shape)", (stack) => {
  it("renders with --once --dry-run to exactly its reference build, CRDs and Namespaces first", {
    timeout: 60_000,
  }, async () => {
    const [rendered, reference] = await Promise.all([
      dryRun(stack),
      referenceBuild(join(FIXTURES, stack.name), stack, inject("helm")),
    ]);
    expect(rendered.code, rendered.stderr).toBe(0);
    expect(reference.length).toBeGreaterThan(0);
    const byIdentity = (objects: KubeObject[]) =>
      Object.fromEntries(objects.map((object) => [identity(object), comparable(object)]));
    expect(byIdentity(rendered.objects)).toEqual(byIdentity(reference));
    expect(rendered.objects).toHaveLength(reference.length);
    const kinds = rendered.objects.map((object) => object.kind);
    const firsts = kinds.filter((kind) => kind === "CustomResourceDefinition" || kind === "Namespace").length;
    expect(
      kinds.slice(0, firsts).every((kind) => kind === "CustomResourceDefinition" || kind === "Namespace"),
    ).toBe(true);
  });
});
