import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GitRepo } from "../test/github-server/git-repo.js";
import { createGitHubWorld, type GitHubWorld } from "../test/github-server/harness.js";

const MAIN = new URL("./main.ts", import.meta.url).pathname;
let world: GitHubWorld;
let repo: GitRepo;
let dir: string;

beforeAll(async () => {
  world = await createGitHubWorld();
  repo = await world.addRepo("org", "gitops", "t0ken");
  await repo.commit({
    "apps/web/deploy.yaml": [
      "apiVersion: apps/v1",
      "kind: Deployment",
      "metadata: { name: web }",
      "spec:",
      "  selector: { matchLabels: { app: web } }",
      "  template:",
      "    metadata: { labels: { app: web } }",
      "    spec: { containers: [{ name: web, image: nginx, command: [nginx, -g, daemon off;] }] }",
    ].join("\n"),
    "apps/web/settings.json": JSON.stringify({ greeting: "hello" }),
  });
  dir = await mkdtemp(join(tmpdir(), "main-"));
});
afterAll(async () => {
  await world.close();
  await rm(dir, { recursive: true, force: true });
});

async function runMain(config: string, args: string[], env: Record<string, string> = {}) {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(path, config);
  return execa(
    process.execPath,
    ["--import", "tsx", MAIN, "--config", path, "--state-dir", join(dir, "state"), ...args],
    {
      reject: false,
      env: { GH_TOKEN: "t0ken", ...env },
    },
  );
}

const CONFIG = (server: string, dir = "apps/web") => `
github_configs:
  gitops: { repo_owner: org, repo_name: gitops, token_env: GH_TOKEN, api_url: "${server}" }
services:
  - { name: web, github: gitops, k8s_yaml_dir: ${dir}, namespace: shop, stateless: true }
download_base_url: http://releases.example.com
`;

// Each case starts a real controller process through tsx, which takes seconds on a loaded 2-core machine.
describe("npm run controller", { timeout: 60_000 }, () => {
  it("prints the rendered objects with --once --dry-run, logs on stderr, and exits 0", async () => {
    const result = await runMain(CONFIG(world.server.url), ["--once", "--dry-run"]);
    expect(result.exitCode, result.stderr).toBe(0);
    const objects = yaml.loadAll(result.stdout) as {
      kind: string;
      metadata: { name: string; namespace: string };
    }[];
    expect(
      objects.map((object) => `${object.kind}/${object.metadata.namespace}/${object.metadata.name}`),
    ).toEqual(["ConfigMap/shop/web-config", "Deployment/shop/web"]);
    const deployment = JSON.stringify(objects[1]);
    expect(deployment).toContain("http://releases.example.com");
    expect(deployment).toContain("simple-gitops-bootstrap");
    const logs = result.stderr
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { msg: string });
    expect(logs.map((line) => line.msg)).toContain("sync applied");
    expect(result.stderr).not.toContain("t0ken");
  });

  it.each([
    { name: "no release tree", release: false },
    { name: "a release tree without the service's init.sh", release: true },
  ])("prints a service's manifests as written by default when it has no release ($name)", async ({
    release,
  }) => {
    const releaseDir = join(dir, `release-${release}`);
    if (release) {
      await mkdir(join(releaseDir, "scripts", "other"), { recursive: true });
      await writeFile(join(releaseDir, "scripts", "other", "init.sh"), "echo other\n");
    }
    const config = CONFIG(world.server.url)
      .replace(", stateless: true", "")
      .replace(
        "download_base_url: http://releases.example.com\n",
        release ? `release_dir: ${releaseDir}\n` : "",
      );
    const result = await runMain(config, ["--once", "--dry-run"]);
    expect(result.exitCode, result.stderr).toBe(0);
    const deployment = (yaml.loadAll(result.stdout) as { kind: string; spec: unknown }[]).find(
      (object) => object.kind === "Deployment",
    );
    const summary = result.stderr
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { msg: string; bootstrap?: { bootstrap: boolean; reason: string } })
      .find((line) => line.msg === "sync applied");
    expect(summary?.bootstrap).toMatchObject({
      bootstrap: false,
      reason: expect.stringMatching(/^no release/),
    });
    // The pod template exactly as git has it: no init container, the command not wrapped, nothing mounted.
    expect(deployment?.spec).toEqual({
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: { containers: [{ name: "web", image: "nginx", command: ["nginx", "-g", "daemon off;"] }] },
      },
    });
  });

  it("bootstraps a service by default once the release tree has its init.sh", async () => {
    const releaseDir = join(dir, "release-web");
    await mkdir(join(releaseDir, "scripts", "web"), { recursive: true });
    await writeFile(join(releaseDir, "scripts", "web", "init.sh"), "echo web\n");
    const config = CONFIG(world.server.url)
      .replace(", stateless: true", "")
      .replace(
        "download_base_url: http://releases.example.com\n",
        `release_dir: ${releaseDir}\ndownload_base_url: http://releases.example.com\n`,
      );
    const result = await runMain(config, ["--once", "--dry-run"]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain("simple-gitops-bootstrap");
  });

  it("exits 1 with --once when a service fails", async () => {
    const result = await runMain(CONFIG(world.server.url, "missing"), ["--once", "--dry-run"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("E_SOURCE_DIR_MISSING");
  });

  it("exits 2 on a bad config before contacting anything", async () => {
    world.server.resetRequests();
    const result = await runMain(CONFIG(world.server.url).replace("github: gitops", "github: nope"), [
      "--once",
    ]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('services[0].github: "nope" is not a key of github_configs');
    expect(world.server.counts().total).toBe(0);
  });

  it("exits 2 on --diff with an unknown --service, naming the known ones, before contacting anything", async () => {
    world.server.resetRequests();
    const result = await runMain(CONFIG(world.server.url), ["--diff", "--service", "nope"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('unknown --service "nope" (known: web)');
    expect(result.stdout).toBe("");
    expect(world.server.counts().total).toBe(0);
  });

  it("exits 1 on --diff when no cluster can be reached, saying why, and prints no diff", async () => {
    const result = await runMain(CONFIG(world.server.url), ["--diff"], {
      KUBECONFIG: join(dir, "no-such-kubeconfig"),
      HOME: dir,
    });
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stderr).toContain("# service web: no usable kubeconfig");
    expect(result.stderr).toMatch(/^web \(org\/gitops@main [0-9a-f]{12}\): could not be compared$/m);
    expect(result.stdout).toBe("");
  });
});
