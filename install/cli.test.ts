import { readFileSync } from "node:fs";
import yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { runInstallCli } from "./cli.js";
import { exampleInstallYaml, MANIFEST_PATH } from "./example-manifests.js";

const CONFIG = `
github_configs:
  nokube: { repo_owner: AI-Infra-Team, repo_name: nokube, token: ghp_inline_secret }
  apps: { repo_owner: org, repo_name: apps, token_env: APPS_TOKEN }
services:
  - { name: etcd, github: nokube, k8s_yaml_dir: examples/etcd }
  - { name: web, github: apps, k8s_yaml_dir: web }
webhook_url: https://hooks.example.com/notify?key=hook_secret
`;

function harness(files: Record<string, string>, env: Record<string, string> = {}, kubectlExit = 0) {
  const out = { stdout: "", stderr: "", kubectl: [] as { bin: string; args: string[]; input: string }[] };
  const deps = {
    version: "1.2.3",
    stdout: (text: string) => {
      out.stdout += text;
    },
    stderr: (text: string) => {
      out.stderr += text;
    },
    readFile: (path: string) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error("missing"), { code: "ENOENT" });
      return text;
    },
    lookup: { env: (name: string) => env[name], file: (path: string) => files[path] },
    runKubectl: async (bin: string, args: string[], input: string) => {
      out.kubectl.push({ bin, args, input });
      return {
        exitCode: kubectlExit,
        output: kubectlExit === 0 ? "configmap/gitops-config serverside-applied" : "error: forbidden",
      };
    },
  };
  return { out, run: (argv: string[]) => runInstallCli(argv, deps) };
}

const ARGS = ["--config-file", "c.yaml", "--cluster-name", "prod"];

describe("apply-gitops", () => {
  it("prints complete help", async () => {
    const { out, run } = harness({});
    expect(await run(["--help"])).toBe(0);
    for (const flag of [
      "--config-file",
      "--cluster-name",
      "--namespace",
      "--image",
      "--dry-run",
      "--kubectl",
      "--help",
    ]) {
      expect(out.stdout).toContain(flag);
    }
  });

  it.each([
    [
      "an unknown flag",
      ["--config-file", "c.yaml", "--cluster-name", "x", "--force"],
      "Unknown option '--force'",
    ],
    ["a missing --cluster-name", ["--config-file", "c.yaml"], "missing --cluster-name"],
    ["no flags at all", [], "missing --config-file and --cluster-name"],
  ])("exits 2 on %s", async (_name, argv, message) => {
    const { out, run } = harness({ "c.yaml": CONFIG });
    expect(await run(argv)).toBe(2);
    expect(out.stderr).toContain(message);
    expect(out.kubectl).toEqual([]);
  });

  it("exits 2 on a bad config, naming the field, and applies nothing", async () => {
    const { out, run } = harness({ "c.yaml": CONFIG.replace("github: apps", "github: infra") });
    expect(await run(ARGS)).toBe(2);
    expect(out.stderr).toContain('services[1].github: "infra" is not a key of github_configs');
    expect(out.stderr).toContain("Nothing was applied");
    expect(out.kubectl).toEqual([]);
    expect(out.stdout).toBe("");
  });

  it("exits 2 when the config file cannot be read", async () => {
    const { out, run } = harness({});
    expect(await run(ARGS)).toBe(2);
    expect(out.stderr).toContain(
      "c.yaml: 1 configuration error\n  (file): cannot read the config file (ENOENT)",
    );
  });

  it("prints only YAML on stdout with --dry-run, credentials only in the Secret", async () => {
    const { out, run } = harness(
      { "c.yaml": CONFIG },
      { APPS_TOKEN: "apps_env_secret", WEBHOOK_SECRET: "hmac_secret" },
    );
    expect(await run([...ARGS, "--dry-run"])).toBe(0);
    const objects = yaml.loadAll(out.stdout) as {
      kind: string;
      metadata: { name: string };
      data?: Record<string, string>;
      stringData?: Record<string, string>;
    }[];
    const byKind = (kind: string) => objects.filter((object) => object.kind === kind);
    const configText = byKind("ConfigMap")[0]?.data?.["gitops-config.yaml"] ?? "";
    for (const secret of ["ghp_inline_secret", "apps_env_secret", "hook_secret", "hmac_secret"]) {
      expect(configText).not.toContain(secret);
      expect(out.stderr).not.toContain(secret);
    }
    const secretData = Object.entries(byKind("Secret")[0]?.data ?? {}).map(([key, value]) => [
      key,
      Buffer.from(value, "base64").toString(),
    ]);
    expect(Object.fromEntries(secretData)).toEqual({
      GITOPS_TOKEN_APPS: "apps_env_secret",
      GITOPS_TOKEN_NOKUBE: "ghp_inline_secret",
      GITOPS_WEBHOOK_URL: "https://hooks.example.com/notify?key=hook_secret",
      WEBHOOK_SECRET: "hmac_secret",
    });
    const config = yaml.load(configText) as Record<string, unknown>;
    expect(config).toMatchObject({
      github_configs: {
        nokube: { token_env: "GITOPS_TOKEN_NOKUBE" },
        apps: { token_env: "GITOPS_TOKEN_APPS" },
      },
      notifications: [{ type: "generic", url_env: "GITOPS_WEBHOOK_URL" }],
      download_base_url: "http://gitops-controller.default.svc:8080",
    });
    expect(config).not.toHaveProperty("webhook_url");
    expect(out.kubectl).toEqual([]);
  });

  it("warns about a credential it cannot find, without failing", async () => {
    const { out, run } = harness({ "c.yaml": CONFIG });
    expect(await run([...ARGS, "--dry-run"])).toBe(0);
    expect(out.stderr).toContain(
      "warning: github_configs.apps.token_env APPS_TOKEN: not found here; create it in Secret gitops-controller-secrets as GITOPS_TOKEN_APPS",
    );
  });

  it("warns when namespaces contains the controller's own namespace, suggesting a dedicated one", async () => {
    const { out, run } = harness({ "c.yaml": `${CONFIG}\nnamespaces: [default, web]\n` });
    expect(await run([...ARGS, "--dry-run"])).toBe(0);
    expect(out.stderr).toContain("warning: namespaces contains default, the controller's own namespace");
    expect(out.stderr).toContain("--namespace gitops");
  });

  it("does not warn about namespaces when the controller has a namespace of its own", async () => {
    const { out, run } = harness({ "c.yaml": `${CONFIG}\nnamespaces: [default, web]\n` });
    expect(await run([...ARGS, "--dry-run", "--namespace", "gitops"])).toBe(0);
    expect(out.stderr).not.toContain("the controller's own namespace");
    expect(out.stderr).not.toContain("cluster-admin");
  });

  it("warns that no namespaces amounts to cluster-admin", async () => {
    const { out, run } = harness({ "c.yaml": CONFIG });
    expect(await run([...ARGS, "--dry-run"])).toBe(0);
    expect(out.stderr).toContain("as good as cluster-admin");
  });

  it("applies with kubectl server-side and reports what kubectl did", async () => {
    const { out, run } = harness({ "c.yaml": CONFIG });
    expect(await run([...ARGS, "--namespace", "gitops", "--kubectl", "/opt/kubectl"])).toBe(0);
    expect(out.kubectl).toHaveLength(1);
    expect(out.kubectl[0]?.bin).toBe("/opt/kubectl");
    expect(out.kubectl[0]?.args).toEqual([
      "apply",
      "--server-side",
      "--field-manager=simple-gitops-install",
      "-f",
      "-",
    ]);
    expect(out.kubectl[0]?.input).toContain("kind: DaemonSet");
    expect(out.stderr).toContain("configmap/gitops-config serverside-applied");
    expect(out.stdout).toBe("");
  });

  it("exits 1 and says what to check when kubectl fails", async () => {
    const { out, run } = harness({ "c.yaml": CONFIG }, {}, 1);
    expect(await run(ARGS)).toBe(1);
    expect(out.stderr).toContain("error: forbidden");
    expect(out.stderr).toContain("kubectl config current-context");
  });

  it("keeps manifests/ in step with the generator (npx tsx scripts/generate-manifests.ts)", async () => {
    expect(readFileSync(MANIFEST_PATH, "utf8")).toBe(await exampleInstallYaml());
  });
});
