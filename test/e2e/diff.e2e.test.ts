import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GitRepo } from "../github-server/git-repo.js";
import { createGitHubWorld, type GitHubWorld } from "../github-server/harness.js";
import { createTestNamespace, kubeconfigPath, kubectl, kubectlJson, type TestNamespace } from "./cluster.js";

const MAIN = new URL("../../controller/main.ts", import.meta.url).pathname;
const b64 = (text: string) => Buffer.from(text).toString("base64");

// Values a diff must never print, in plain text or base64: the Secret's value in git and the one set by hand.
const GIT_PASSWORD = "git-pa55word-e2e";
const HAND_PASSWORD = "hand-pa55word-e2e";
const USER = "db-user-e2e";

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web, image: nginx:1.27, command: [nginx, -g, "daemon off;"] }] }
`;
const settings = `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: web-settings }\ndata: { value: "from-git" }\n`;
const secret = `apiVersion: v1
kind: Secret
metadata: { name: db }
type: Opaque
data: { password: ${b64(GIT_PASSWORD)}, user: ${b64(USER)} }
`;

let world: GitHubWorld;
let repo: GitRepo;
let ns: TestNamespace;
let dir: string;

beforeAll(async () => {
  world = await createGitHubWorld();
  repo = await world.addRepo("org", "gitops", "t0ken");
  ns = await createTestNamespace("diff");
  dir = await mkdtemp(join(tmpdir(), "diff-e2e-"));
  await repo.commit({
    "app/deploy.yaml": deployment,
    "app/settings.yaml": settings,
    "app/secret.yaml": secret,
  });
});
afterAll(async () => {
  await world.close();
  await ns.cleanup();
  await rm(dir, { recursive: true, force: true });
});

const config = () => `
github_configs:
  gitops: { repo_owner: org, repo_name: gitops, token_env: GH_TOKEN, api_url: "${world.server.url}" }
services:
  - { name: web, github: gitops, k8s_yaml_dir: app, namespace: ${ns.name}, stateless: false }
applyers: [api]
health_timeout: 0s
`;

/** controller runs controller/main.ts once with `args` and returns its exit code and output. */
async function controller(args: string[], stateDir: string) {
  const path = join(dir, "gitops-config.yaml");
  await writeFile(path, config());
  const result = await execa(
    process.execPath,
    ["--import", "tsx", MAIN, "--config", path, "--state-dir", stateDir, ...args],
    {
      reject: false,
      env: { KUBECONFIG: kubeconfigPath(), GH_TOKEN: "t0ken", PATH: process.env.PATH ?? "" },
    },
  );
  return { code: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

const changedLines = (patch: string) => patch.split("\n").filter((line) => /^[-+] /.test(line));
/** section is the part of a diff output about one object, from its `---` header to the next. */
const section = (stdout: string, label: string) => {
  const start = stdout.indexOf(`--- live/${label}\n`);
  if (start < 0) return undefined;
  const next = stdout.indexOf("\n--- live/", start + 1);
  return stdout.slice(start, next < 0 ? undefined : next + 1);
};

describe("npm run controller -- --diff against a real cluster", () => {
  it("prints nothing when in sync, a masked unified diff of hand edits, and applies nothing", async () => {
    const applied = await controller(["--once"], join(dir, "state"));
    expect(applied.code, applied.stderr).toBe(0);
    const diffState = join(dir, "diff-state");

    const inSync = await controller(["--diff"], diffState);
    expect(inSync.code, inSync.stderr).toBe(0);
    expect(inSync.stdout).toBe("");
    expect(inSync.stderr).toMatch(
      /^web \(org\/gitops@main [0-9a-f]{12}\): 0 configured, 0 created, 3 unchanged, 0 failed$/m,
    );

    await kubectl(["-n", ns.name, "scale", "deployment/web", "--replicas=3"]);
    await kubectl(["-n", ns.name, "patch", "configmap/web-settings", "-p", '{"data":{"value":"by-hand"}}']);
    await kubectl([
      "-n",
      ns.name,
      "patch",
      "secret/db",
      "-p",
      JSON.stringify({ data: { password: b64(HAND_PASSWORD) } }),
    ]);

    const drifted = await controller(["--diff"], diffState);
    expect(drifted.code, drifted.stderr).toBe(1);
    expect(drifted.stderr).toMatch(
      /^web \(org\/gitops@main [0-9a-f]{12}\): 3 configured, 0 created, 0 unchanged, 0 failed$/m,
    );
    const at = (label: string) => section(drifted.stdout, label) ?? "";
    const deploy = at(`apps/v1/Deployment/${ns.name}/web`);
    expect(deploy, drifted.stdout).toContain(`+++ git/apps/v1/Deployment/${ns.name}/web\n`);
    expect(changedLines(deploy)).toEqual(["-  replicas: 3", "+  replicas: 1"]);
    expect(changedLines(at(`v1/ConfigMap/${ns.name}/web-settings`))).toEqual([
      "-  value: by-hand",
      "+  value: from-git",
    ]);
    expect(changedLines(at(`v1/Secret/${ns.name}/db`))).toEqual([
      "-  password: '*** (before)'",
      "+  password: '*** (after)'",
    ]);
    for (const value of [GIT_PASSWORD, HAND_PASSWORD, USER]) {
      for (const shown of [value, b64(value)]) {
        expect(drifted.stdout).not.toContain(shown);
        expect(drifted.stderr).not.toContain(shown);
      }
    }

    // --diff applied nothing and recorded nothing.
    const live = await kubectlJson<{ spec: { replicas: number } }>(["-n", ns.name, "get", "deployment/web"]);
    expect(live.spec.replicas).toBe(3);
    const secretData = await kubectlJson<{ data: { password: string } }>(["-n", ns.name, "get", "secret/db"]);
    expect(secretData.data.password).toBe(b64(HAND_PASSWORD));
    expect(await readdir(diffState).catch(() => "absent")).toBe("absent");
  });

  it("shows an object git adds as all +", async () => {
    await repo.commit({
      "app/extra.yaml":
        "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: extra }\ndata: { added: in-git }\n",
    });
    const result = await controller(["--diff", "--service", "web"], join(dir, "diff-state"));
    expect(result.code, result.stderr).toBe(1);
    const extra = section(result.stdout, `v1/ConfigMap/${ns.name}/extra`) ?? "";
    expect(extra).toContain("@@ -0,0 +1,");
    const body = extra
      .split("\n")
      .slice(3)
      .filter((line) => line !== "");
    expect(body.length).toBeGreaterThan(0);
    expect(body.filter((line) => !line.startsWith("+"))).toEqual([]);
    expect(body).toContain("+  added: in-git");
    expect(
      await kubectl(["-n", ns.name, "get", "configmap", "extra", "--ignore-not-found", "-o", "name"]),
    ).toBe("");
  });

  it("exits 2 on an unknown --service, naming the known ones", async () => {
    const result = await controller(["--diff", "--service", "unknown"], join(dir, "diff-state"));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown --service "unknown" (known: web)');
    expect(result.stdout).toBe("");
  });
});
