import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGitHubWorld, type GitHubWorld, manifest } from "../test/github-server/harness.js";
import { aliasBomb } from "./desired/render/hostile-yaml.js";

const MAIN = new URL("./main.ts", import.meta.url).pathname;
let world: GitHubWorld;
let dir: string;

beforeAll(async () => {
  world = await createGitHubWorld();
  const repo = await world.addRepo("org", "gitops", "t0ken");
  await repo.commit({
    "apps/good/config.yaml": manifest("good", 1),
    "apps/bad/deploy.yaml": manifest("bad", 1),
    "apps/bad/bomb.yaml": aliasBomb(),
  });
  dir = await mkdtemp(join(tmpdir(), "hostile-cli-"));
});
afterAll(async () => {
  await world.close();
  await rm(dir, { recursive: true, force: true });
});

// A real controller process through tsx, as main.test.ts runs it. Without the node budget the process does not finish
// within the timeout (the bomb expands to 9^9 strings: tens of seconds and gigabytes) or dies naming no file.
describe("npm run controller --once --dry-run with an alias bomb", { timeout: 60_000 }, () => {
  it("exits 1 naming the bomb's file and the budget, and still prints the good service's objects", async () => {
    const config = join(dir, "config.yaml");
    await writeFile(
      config,
      `
github_configs:
  gitops: { repo_owner: org, repo_name: gitops, token_env: GH_TOKEN, api_url: "${world.server.url}" }
services:
  - { name: good, github: gitops, k8s_yaml_dir: apps/good, namespace: shop }
  - { name: bad, github: gitops, k8s_yaml_dir: apps/bad, namespace: shop }
`,
    );
    const result = await execa(
      process.execPath,
      ["--import", "tsx", MAIN, "--config", config, "--state-dir", join(dir, "state"), "--once", "--dry-run"],
      { reject: false, env: { GH_TOKEN: "t0ken" }, timeout: 50_000 },
    );
    expect(result.timedOut, result.stderr.slice(-2000)).toBe(false);
    expect(result.exitCode, result.stderr.slice(-2000)).toBe(1);
    expect(result.stderr).toContain("E_MANIFEST_TOO_LARGE");
    expect(result.stderr).toContain("apps/bad/bomb.yaml: refused");
    expect(result.stderr).toContain("node budget per file");
    expect(result.stderr).not.toContain("Invalid string length");
    const objects = (yaml.loadAll(result.stdout) as { metadata: { name: string } }[]).filter(Boolean);
    const names = objects.map((object) => object.metadata.name);
    expect(names).toContain("good-1");
    expect(names).not.toContain("bad-1");
    expect(names).not.toContain("lol");
  });
});
