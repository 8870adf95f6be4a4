import { readFileSync } from "node:fs";
import yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { CONTROLLER_HELP } from "../controller/start/cli-options.js";
import { HELP, runInstallCli } from "./cli.js";
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

/** Cluster is what the harness's kubectl answers: nodes and the installed Secret, or no cluster at all. */
interface Cluster {
  nodes?: { name: string; labels: Record<string, string> }[];
  secret?: Record<string, string>;
  /** secretError makes reading the Secret fail as RBAC would, the cluster answering otherwise. */
  secretError?: string;
}

const NO_CLUSTER: Cluster = {};
const TOKEN = "random-token-from-the-injected-generator";

/**
 * harness runs apply-gitops in-process. Its kubectl is a table over a described cluster (nodes, the installed
 * Secret) answering the exact reads apply-gitops sends; test/e2e/install.e2e.test.ts runs the real kubectl.
 */
function harness(
  files: Record<string, string>,
  env: Record<string, string> = {},
  kubectlExit = 0,
  cluster: Cluster = NO_CLUSTER,
) {
  const out = {
    stdout: "",
    stderr: "",
    kubectl: [] as { bin: string; args: readonly string[]; input?: string }[],
  };
  const answer = (exitCode: number, stdout: string, stderr = "") => ({
    exitCode,
    stdout,
    output: stdout + stderr,
  });
  const reachable = cluster.nodes !== undefined;
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
    runKubectl: async (bin: string, args: readonly string[], options: { input?: string }) => {
      out.kubectl.push({ bin, args, ...(options.input === undefined ? {} : { input: options.input }) });
      if (args[0] === "apply")
        return answer(
          kubectlExit,
          kubectlExit === 0 ? "configmap/gitops-config serverside-applied" : "",
          kubectlExit === 0 ? "" : "error: forbidden",
        );
      if (!reachable) return answer(1, "", "The connection to the server localhost:8080 was refused");
      if (args.includes("secret")) {
        if (cluster.secretError) return answer(1, "", cluster.secretError);
        const data = Object.entries(cluster.secret ?? {}).map(([k, v]) => [
          k,
          Buffer.from(v).toString("base64"),
        ]);
        return answer(0, cluster.secret ? JSON.stringify(Object.fromEntries(data)) : "");
      }
      if (args.includes("nodes"))
        return answer(
          0,
          (cluster.nodes ?? []).map((node) => `${node.name}\t${JSON.stringify(node.labels)}\n`).join(""),
        );
      return answer(0, '{"major":"1"}');
    },
    randomToken: () => TOKEN,
  };
  return { out, run: (argv: string[]) => runInstallCli(argv, deps) };
}

const ARGS = ["--config-file", "c.yaml", "--cluster-name", "prod"];

/** secretOf decodes the install Secret's data from a dry run's YAML. */
function secretOf(stream: string): Record<string, string> {
  const secret = (yaml.loadAll(stream) as { kind: string; data?: Record<string, string> }[]).find(
    (object) => object.kind === "Secret",
  );
  return Object.fromEntries(
    Object.entries(secret?.data ?? {}).map(([key, value]) => [key, Buffer.from(value, "base64").toString()]),
  );
}

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
      "--memory-limit",
      "--help",
    ]) {
      expect(out.stdout).toContain(flag);
    }
  });

  it.each([
    ["apply-gitops", HELP],
    ["the controller", CONTROLLER_HELP],
  ])("names the token variables and where the sync token is in the --help of %s", (_name, help) => {
    for (const name of ["GITOPS_SYNC_TOKEN", "GITOPS_READ_TOKEN", "token_env", "url_env", "secret_env"])
      expect(help).toContain(name);
    expect(help).toContain("gitops-controller-secrets");
  });

  it.each([
    [
      "an unknown flag",
      ["--config-file", "c.yaml", "--cluster-name", "x", "--force"],
      "Unknown option '--force'",
    ],
    ["a missing --cluster-name", ["--config-file", "c.yaml"], "missing --cluster-name"],
    ["no flags at all", [], "missing --config-file and --cluster-name"],
    [
      "a memory limit that is not a quantity",
      [...ARGS, "--memory-limit", "1GB", "--dry-run"],
      '--memory-limit: "1GB" is not a Kubernetes quantity',
    ],
    [
      "a memory limit too small for the controller",
      [...ARGS, "--memory-limit", "512m"],
      '--memory-limit: "512m" is below 96Mi',
    ],
  ])("exits 2 on %s", async (_name, argv, message) => {
    const { out, run } = harness({ "c.yaml": CONFIG });
    expect(await run(argv)).toBe(2);
    expect(out.stderr).toContain(message);
    expect(out.kubectl).toEqual([]);
    expect(out.stdout).toBe("");
  });

  it("gives the DaemonSet the --memory-limit, with the request following it", async () => {
    const { out, run } = harness({ "c.yaml": CONFIG }, { APPS_TOKEN: "t" });
    expect(await run([...ARGS, "--memory-limit", "1Gi", "--dry-run"])).toBe(0);
    const daemonSet = (yaml.loadAll(out.stdout) as { kind: string; spec?: unknown }[]).find(
      (object) => object.kind === "DaemonSet",
    ) as { spec: { template: { spec: { containers: { resources: unknown }[] } } } };
    expect(daemonSet.spec.template.spec.containers[0]?.resources).toEqual({
      requests: { cpu: "50m", memory: "384Mi" },
      limits: { cpu: "500m", memory: "1Gi" },
    });
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
      GITOPS_SYNC_TOKEN: TOKEN,
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
    // A dry run reads the cluster when it can (nodes, the installed Secret), and never applies.
    expect(out.kubectl.filter((call) => call.args[0] === "apply")).toEqual([]);
  });

  it("exits 2 on a token variable the config names that is unset, naming the field and the variable", async () => {
    const { out, run } = harness({ "c.yaml": CONFIG });
    expect(await run([...ARGS, "--dry-run"])).toBe(2);
    expect(out.stderr).toContain(
      "  github_configs.apps.token_env: environment variable APPS_TOKEN is not set\n",
    );
    expect(out.stderr).toContain("Nothing was printed or applied");
    expect(out.stdout).toBe("");
    expect(out.kubectl.filter((call) => call.args[0] === "apply")).toEqual([]);
  });

  it("exits 2 without applying when a token is missing, even without --dry-run", async () => {
    const { out, run } = harness({ "c.yaml": CONFIG });
    expect(await run(ARGS)).toBe(2);
    expect(out.kubectl.filter((call) => call.args[0] === "apply")).toEqual([]);
  });

  it("lists every missing credential at once: a token file, a GitHub App key and a notification URL", async () => {
    const config = `
github_configs:
  a: { repo_owner: o, repo_name: a, token_file: /run/a-token }
  b:
    repo_owner: o
    repo_name: b
    github_app: { app_id: 1, installation_id: 2, private_key_env: APP_KEY }
services:
  - { name: web, github: a, k8s_yaml_dir: web }
  - { name: api, github: b, k8s_yaml_dir: api }
notifications:
  - { type: slack, url_env: SLACK_URL }
`;
    const { out, run } = harness({ "c.yaml": config });
    expect(await run([...ARGS, "--dry-run"])).toBe(2);
    expect(out.stderr).toContain("3 credentials the config refers to are missing");
    expect(out.stderr).toContain("  github_configs.a.token_file: file /run/a-token is missing or empty\n");
    expect(out.stderr).toContain(
      "  github_configs.b.github_app.private_key_env: environment variable APP_KEY is not set\n",
    );
    expect(out.stderr).toContain("  notifications[0].url_env: environment variable SLACK_URL is not set\n");
  });

  it("warns, without failing, about a signing or webhook secret the config names that is unset", async () => {
    const config = `${CONFIG.replace("token_env: APPS_TOKEN", "token_env: APPS_TOKEN, webhook_secret_env: APPS_HOOK")}
notifications:
  - { type: generic, url: "https://ci.example.com/hook", secret_env: CI_HMAC }
`;
    const { out, run } = harness({ "c.yaml": config }, { APPS_TOKEN: "t" });
    expect(await run([...ARGS, "--dry-run"])).toBe(0);
    expect(out.stderr).toContain(
      "warning: github_configs.apps.webhook_secret_env: environment variable APPS_HOOK is not set: push webhooks",
    );
    expect(out.stderr).toContain(
      "warning: notifications[0].secret_env: environment variable CI_HMAC is not set: this target's notifications",
    );
  });

  it("exits 2 on state: file, naming state and saying to use configmap", async () => {
    const { out, run } = harness({ "c.yaml": `${CONFIG}\nstate: file\n` }, { APPS_TOKEN: "t" });
    expect(await run([...ARGS, "--dry-run"])).toBe(2);
    expect(out.stderr).toContain('  state: "file" keeps the deployed state');
    expect(out.stderr).toContain("use state: configmap");
    expect(out.stdout).toBe("");
    expect(out.kubectl).toEqual([]);
  });

  it("says where the generated sync token is and how to read it", async () => {
    const { out, run } = harness({ "c.yaml": CONFIG }, { APPS_TOKEN: "t" });
    expect(await run([...ARGS, "--dry-run", "--namespace", "gitops"])).toBe(0);
    expect(out.stderr).toContain(
      "the Secret holds a new, random sync token (GITOPS_SYNC_TOKEN); read it with: kubectl -n gitops get secret " +
        "gitops-controller-secrets -o jsonpath='{.data.GITOPS_SYNC_TOKEN}' | base64 -d",
    );
    expect(out.stderr).not.toContain(TOKEN);
  });

  it("puts GITOPS_SYNC_TOKEN from the environment in the Secret instead of generating one", async () => {
    const { out, run } = harness({ "c.yaml": CONFIG }, { APPS_TOKEN: "t", GITOPS_SYNC_TOKEN: "users-token" });
    expect(await run([...ARGS, "--dry-run"])).toBe(0);
    expect(secretOf(out.stdout).GITOPS_SYNC_TOKEN).toBe("users-token");
    expect(out.stderr).toContain("the Secret holds GITOPS_SYNC_TOKEN from this shell");
  });

  it("keeps the installed sync token and credentials when this shell does not set them", async () => {
    const installed = { GITOPS_SYNC_TOKEN: "in-use", GITOPS_TOKEN_APPS: "installed-apps-token" };
    const { out, run } = harness({ "c.yaml": CONFIG }, {}, 0, { nodes: [], secret: installed });
    expect(await run([...ARGS, "--dry-run"])).toBe(0);
    expect(secretOf(out.stdout)).toMatchObject(installed);
    expect(out.stderr).toContain(
      "kept from the installed Secret gitops-controller-secrets: GITOPS_TOKEN_APPS",
    );
    expect(out.stderr).toContain("the Secret holds the sync token already installed");
    expect(out.stderr).not.toContain("in-use");
  });

  it("exits 1 when the cluster answers but the installed Secret cannot be read, rather than rotate the token", async () => {
    const forbidden = 'Error from server (Forbidden): secrets "gitops-controller-secrets" is forbidden';
    const { out, run } = harness({ "c.yaml": CONFIG }, { APPS_TOKEN: "t" }, 0, {
      nodes: [],
      secretError: forbidden,
    });
    expect(await run(ARGS)).toBe(1);
    expect(out.stderr).toContain(`cannot read Secret default/gitops-controller-secrets: ${forbidden}`);
    expect(out.kubectl.filter((call) => call.args[0] === "apply")).toEqual([]);
  });

  it("writes the unlabelled-node warning as a YAML comment on top of a dry run", async () => {
    const nodes = [
      { name: "node-b", labels: {} },
      { name: "node-a", labels: {} },
    ];
    const { out, run } = harness({ "c.yaml": CONFIG }, { APPS_TOKEN: "t" }, 0, { nodes });
    expect(await run([...ARGS, "--dry-run"])).toBe(0);
    const [comment] = out.stdout.split("---\n");
    expect(comment).toContain("#   kubectl label node node-a node-role.nokube.io/management=true\n");
    expect(
      comment
        ?.split("\n")
        .filter((line) => line !== "")
        .every((line) => line.startsWith("# ")),
    ).toBe(true);
    expect(out.stderr).toContain("kubectl label node node-a node-role.nokube.io/management=true");
  });

  it("says nothing about nodes in a dry run without a cluster", async () => {
    const { out, run } = harness({ "c.yaml": CONFIG }, { APPS_TOKEN: "t" });
    expect(await run([...ARGS, "--dry-run"])).toBe(0);
    expect(out.stdout.startsWith("---\n")).toBe(true);
    expect(out.stderr).not.toContain("kubectl label");
  });

  it("warns when namespaces contains the controller's own namespace, suggesting a dedicated one", async () => {
    const { out, run } = harness(
      { "c.yaml": `${CONFIG}\nnamespaces: [default, web]\n` },
      { APPS_TOKEN: "t" },
    );
    expect(await run([...ARGS, "--dry-run"])).toBe(0);
    expect(out.stderr).toContain("warning: namespaces contains default, the controller's own namespace");
    expect(out.stderr).toContain("--namespace gitops");
  });

  it("does not warn about namespaces when the controller has a namespace of its own", async () => {
    const { out, run } = harness(
      { "c.yaml": `${CONFIG}\nnamespaces: [default, web]\n` },
      { APPS_TOKEN: "t" },
    );
    expect(await run([...ARGS, "--dry-run", "--namespace", "gitops"])).toBe(0);
    expect(out.stderr).not.toContain("the controller's own namespace");
    expect(out.stderr).not.toContain("cluster-admin");
  });

  it("warns that no namespaces amounts to cluster-admin", async () => {
    const { out, run } = harness({ "c.yaml": CONFIG }, { APPS_TOKEN: "t" });
    expect(await run([...ARGS, "--dry-run"])).toBe(0);
    expect(out.stderr).toContain("as good as cluster-admin");
  });

  it("applies with kubectl server-side and reports what kubectl did", async () => {
    const { out, run } = harness({ "c.yaml": CONFIG }, { APPS_TOKEN: "t" });
    expect(await run([...ARGS, "--namespace", "gitops", "--kubectl", "/opt/kubectl"])).toBe(0);
    const applies = out.kubectl.filter((call) => call.args[0] === "apply");
    expect(applies).toHaveLength(1);
    expect(applies[0]?.bin).toBe("/opt/kubectl");
    // --force-conflicts: the install's objects are its own, whichever manager touched them (issue 30).
    expect(applies[0]?.args).toEqual([
      "apply",
      "--server-side",
      "--force-conflicts",
      "--field-manager=simple-gitops-install",
      "-f",
      "-",
    ]);
    expect(applies[0]?.input).toContain("kind: DaemonSet");
    expect(out.stderr).toContain("configmap/gitops-config serverside-applied");
    expect(out.stdout).toBe("");
  });

  it("exits 1 and says what to check when kubectl fails", async () => {
    const { out, run } = harness({ "c.yaml": CONFIG }, { APPS_TOKEN: "t" }, 1);
    expect(await run(ARGS)).toBe(1);
    expect(out.stderr).toContain("error: forbidden");
    expect(out.stderr).toContain("kubectl config current-context");
  });

  it("keeps manifests/ in step with the generator (npx tsx scripts/generate-manifests.ts)", async () => {
    expect(readFileSync(MANIFEST_PATH, "utf8")).toBe(await exampleInstallYaml());
  });
});
