import { join } from "node:path";
import yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { comparable, identity, type KubeObject } from "./objects.js";
import { referenceBuild } from "./reference-build.js";
import { type StackRunner, startStackRunner } from "./stack-run.js";
import { FIXTURES, type RealWorldStack, STACKS } from "./stacks.js";

let runner: StackRunner;

beforeAll(async () => {
  runner = await startStackRunner();
});
afterAll(() => runner.close());

/** dryRun runs the controller once on the stack with --dry-run, with no cluster to ask, and reads what it printed. */
async function dryRun(stack: RealWorldStack) {
  const run = await runner.runOnce(stack, { flags: ["--dry-run"] });
  const objects = yaml.loadAll(run.stdout).filter((doc): doc is KubeObject => doc !== null);
  return { ...run, objects };
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
