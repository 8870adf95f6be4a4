import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError } from "./config-error.js";
import { parseConfig } from "./load.js";
import { resolveSecrets } from "./resolve-secrets.js";

const VALID = `
github_configs:
  nokube:
    repo_owner: AI-Infra-Team
    repo_name: nokube
    token: ghp_supersecretvalue
services:
  - name: etcd
    github: nokube
    k8s_yaml_dir: examples/etcd
poll_interval: 60
`;

function issuesOf(text: string): string[] {
  try {
    parseConfig(text);
  } catch (error: unknown) {
    if (error instanceof ConfigError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("parseConfig", () => {
  it("accepts the seed's own example unchanged", () => {
    const config = parseConfig(VALID);
    expect(config.repos).toEqual([
      expect.objectContaining({
        key: "nokube",
        owner: "AI-Infra-Team",
        name: "nokube",
        branch: "main",
        apiUrl: "https://api.github.com",
        htmlUrl: "https://github.com/AI-Infra-Team/nokube",
        webhookSecretEnv: "WEBHOOK_SECRET",
      }),
    ]);
    expect(config.services).toEqual([
      {
        name: "etcd",
        repoKey: "nokube",
        dir: "examples/etcd",
        stateless: "auto",
        reconcileIntervalSeconds: 600,
        drift: "correct",
      },
    ]);
    expect(config.pollIntervalSeconds).toBe(60);
    expect(config.applyers).toEqual(["api", "kubectl"]);
    expect(config.prune).toBe(false);
    expect(config.healthTimeoutSeconds).toBe(60);
    expect(config.applyTimeoutSeconds).toBe(300);
    expect(config.listen).toEqual({ host: "0.0.0.0", port: 8080 });
    expect(config.state).toBe("file");
  });

  it("accepts github_configs as a list of named entries", () => {
    const config = parseConfig(`
github_configs:
  - name: infra
    repo_owner: org
    repo_name: infra
    branch: prod
services: [{ name: a, github: infra, k8s_yaml_dir: ./k8s/ }]
`);
    expect(config.repos[0]).toMatchObject({ key: "infra", branch: "prod" });
    expect(config.services[0]?.dir).toBe("k8s");
  });

  it.each([
    ["https://github.com/org/repo", "org/repo", "main"],
    ["https://github.com/org/repo.git", "org/repo", "main"],
    ["https://github.com/org/repo/tree/release-1", "org/repo@release-1", "release-1"],
  ])("accepts the legacy repo URL %s", (url, key, branch) => {
    const config = parseConfig(`services: [{ name: a, repo: "${url}", k8s_yaml_dir: k8s }]`);
    expect(config.repos).toEqual([expect.objectContaining({ key, owner: "org", name: "repo", branch })]);
    expect(config.services[0]?.repoKey).toBe(key);
  });

  it.each([
    [60, 60],
    ["60", 60],
    ["30s", 30],
    ["5m", 300],
    ["1h30m", 5400],
  ])("reads poll_interval %j as %d seconds", (input, seconds) => {
    const config = parseConfig(
      `${VALID.replace("poll_interval: 60", `poll_interval: ${JSON.stringify(input)}`)}`,
    );
    expect(config.pollIntervalSeconds).toBe(seconds);
  });

  it("gives each service the top-level reconcile_interval unless it sets its own", () => {
    const config = parseConfig(`
github_configs:
  nokube: { repo_owner: AI-Infra-Team, repo_name: nokube }
services:
  - { name: etcd, github: nokube, k8s_yaml_dir: examples/etcd, drift: report }
  - { name: web, github: nokube, k8s_yaml_dir: web, reconcile_interval: 0 }
reconcile_interval: 1h
`);
    expect(config.services.map((s) => [s.name, s.reconcileIntervalSeconds, s.drift])).toEqual([
      ["etcd", 3600, "report"],
      ["web", 0, "correct"],
    ]);
  });

  it("reads cluster_kinds as given, and leaves it unset when absent", () => {
    const config = parseConfig(
      `${VALID}\nnamespaces: [default]\ncluster_kinds: [ClusterRole, cert-manager.io/ClusterIssuer]`,
    );
    expect(config.clusterKinds).toEqual(["ClusterRole", "cert-manager.io/ClusterIssuer"]);
    expect(parseConfig(VALID).clusterKinds).toBeUndefined();
  });

  it("reads helm_bin as given, and leaves it unset when absent", () => {
    expect(parseConfig(`${VALID}\nhelm_bin: /opt/helm/helm`).helmBin).toBe("/opt/helm/helm");
    expect(parseConfig(`${VALID}\nhelm_bin: helm3`).helmBin).toBe("helm3");
    expect(parseConfig(VALID).helmBin).toBeUndefined();
  });

  it("reads a bare listen port as every interface", () => {
    expect(parseConfig(`${VALID}\nlisten: 9090`).listen).toEqual({ host: "0.0.0.0", port: 9090 });
    expect(parseConfig(`${VALID}\nlisten: "[::1]:8081"`).listen).toEqual({ host: "::1", port: 8081 });
  });

  it("accepts a NoKube download over http when sha256 pins the binary", () => {
    const sha256 = "a".repeat(64);
    const config = parseConfig(
      `${VALID}\napplyer_nokube: { cluster_name: home, nokube_download_url: "http://example.com/nokube", sha256: ${sha256} }\n`,
    );
    expect(config.nokube).toEqual({ clusterName: "home", downloadUrl: "http://example.com/nokube", sha256 });
  });

  it("puts nokube first by default when applyer_nokube is set", () => {
    const config = parseConfig(
      `${VALID}\napplyer_nokube: { cluster_name: home, nokube_download_url: "https://example.com/nokube" }\n`,
    );
    expect(config.applyers).toEqual(["nokube", "api", "kubectl"]);
    expect(config.nokube).toEqual({ clusterName: "home", downloadUrl: "https://example.com/nokube" });
  });

  it("loads gitops-config.example.yaml: two repos, three services", () => {
    const text = readFileSync(new URL("../../gitops-config.example.yaml", import.meta.url), "utf8");
    const config = parseConfig(text, "gitops-config.example.yaml");
    expect(config.repos.map((repo) => repo.key)).toEqual(["nokube", "apps"]);
    expect(config.services.map((service) => service.name)).toEqual(["etcd", "monitoring", "web"]);
    expect(config.notifications).toEqual([
      { type: "slack", url: { from: "env", name: "SLACK_WEBHOOK_URL" } },
    ]);
  });

  it("keeps the seed's per-file notification events only where per_file asks for them", () => {
    const config = parseConfig(
      `${VALID}\nnotifications: [{ url: "http://a/x", per_file: true }, { url: "http://b/y" }]`,
    );
    expect(config.notifications.map((n) => [n.type, n.perFile])).toEqual([
      ["generic", true],
      ["generic", undefined],
    ]);
  });

  const mistakes: [string, string, string[]][] = [
    [
      "a YAML syntax error",
      "services:\n  - name: a\n   k8s_yaml_dir: x",
      ["(yaml): YAML syntax error at line 3, column 4"],
    ],
    ["an empty file", "", ["(top level): expected a mapping with github_configs and services"]],
    ["a list at the top", "- a\n- b", ["(top level): expected a mapping"]],
    ["no services", "github_configs: {}", ["services: required: expected a list"]],
    ["an empty services list", "services: []", ["services: expected at least one service"]],
    [
      "an unknown top-level key",
      `${VALID}\npol_interval: 5`,
      ['(top level): unknown key "pol_interval" (known: github_configs, services, poll_interval,'],
    ],
    [
      "an unknown service key",
      VALID.replace("k8s_yaml_dir: examples/etcd", "k8s_yaml_dir: x\n    core: 1"),
      ['services[0]: unknown key "core" (known: name, github, repo, k8s_yaml_dir,'],
    ],
    [
      "a dangling github reference",
      VALID.replace("github: nokube", "github: infra"),
      ['services[0].github: "infra" is not a key of github_configs (known: nokube)'],
    ],
    [
      "a number as repo_owner",
      VALID.replace("repo_owner: AI-Infra-Team", "repo_owner: 42"),
      ["github_configs.nokube.repo_owner: expected a string"],
    ],
    [
      "a missing k8s_yaml_dir",
      VALID.replace("    k8s_yaml_dir: examples/etcd\n", ""),
      ["services[0].k8s_yaml_dir: required: expected a string"],
    ],
    [
      "a directory leaving the repo",
      VALID.replace("examples/etcd", "../etc"),
      ['services[0].k8s_yaml_dir: must not contain ".."'],
    ],
    [
      "an invalid service name",
      VALID.replace("name: etcd", "name: Etcd_1"),
      ["services[0].name: service name must be a DNS-1123 label"],
    ],
    [
      "duplicate services",
      `${VALID.replace("poll_interval: 60", "")}  - name: etcd\n    github: nokube\n    k8s_yaml_dir: y\n`,
      ['services[1].name: duplicate service name "etcd"'],
    ],
    [
      "both github and repo",
      VALID.replace("github: nokube", "github: nokube\n    repo: https://github.com/a/b"),
      ["services[0]: expected either github or repo, not both"],
    ],
    [
      "neither github nor repo",
      VALID.replace("    github: nokube\n", ""),
      ["services[0]: expected github (a key of github_configs) or repo"],
    ],
    [
      "a bad legacy repo URL",
      VALID.replace("github: nokube", "repo: https://gitlab.com/a/b"),
      ["services[0].repo: expected https://github.com/OWNER/NAME"],
    ],
    [
      "two token sources",
      VALID.replace("token: ghp_supersecretvalue", "token: x\n    token_env: T"),
      ["github_configs.nokube: expected at most one of token, token_env"],
    ],
    [
      "an unknown applyer",
      `${VALID}\napplyers: [kubectl, helm]`,
      ['applyers[1]: expected one of "nokube"|"kubectl"|"api"'],
    ],
    [
      "nokube without applyer_nokube",
      `${VALID}\napplyers: [nokube]`,
      ['applyers[0]: "nokube" needs applyer_nokube'],
    ],
    [
      "a service namespace outside the allowlist",
      `${VALID.replace("k8s_yaml_dir: examples/etcd", "k8s_yaml_dir: x\n    namespace: kube-system")}\nnamespaces: [default]`,
      ['services[0].namespace: "kube-system" is not in namespaces (allowed: default)'],
    ],
    [
      "a cluster_kinds entry that is not a kind",
      `${VALID}\ncluster_kinds: [ClusterRole, "cert-manager.io/ClusterIssuer", "cluster roles"]`,
      ['cluster_kinds[2]: expected a kind like "ClusterIssuer"'],
    ],
    [
      "an rbac_rules entry without verbs, or with a misspelt field",
      `${VALID}\nrbac_rules:\n  - { apiGroups: [""], resources: [pods], verbs: [] }\n  - { apiGroup: [x], resources: [a], verbs: [get] }`,
      ["rbac_rules[0].verbs: expected at least one verb", "rbac_rules[1]"],
    ],
    [
      "a cluster_kinds entry listed twice",
      `${VALID}\ncluster_kinds: [ClusterRole, ClusterRole]`,
      ['cluster_kinds[1]: "ClusterRole" is listed twice'],
    ],
    [
      "a bad cron schedule",
      VALID.replace("k8s_yaml_dir: examples/etcd", "k8s_yaml_dir: x\n    schedule: every day"),
      ["services[0].schedule: expected a cron expression"],
    ],
    ["a bad listen address", `${VALID}\nlisten: localhost`, ['listen: expected "HOST:PORT"']],
    [
      "a port out of range",
      `${VALID}\nlisten: "0.0.0.0:70000"`,
      ["listen: expected a port from 0 (any free port) to 65535"],
    ],
    ["a non-http webhook_url", `${VALID}\nwebhook_url: ftp://x`, ["webhook_url: expected an http(s) URL"]],
    [
      "a service's bad reconcile_interval and drift mode",
      VALID.replace(
        "k8s_yaml_dir: examples/etcd",
        "k8s_yaml_dir: x\n    reconcile_interval: -5\n    drift: fix",
      ),
      [
        "services[0].reconcile_interval: expected seconds",
        'services[0].drift: expected one of "correct"|"report"',
      ],
    ],
    ["an unknown state store", `${VALID}\nstate: redis`, ['state: expected one of "file"|"configmap"']],
    [
      "github_configs as a string",
      VALID.replace(/github_configs:[\s\S]*?services:/, "github_configs: nokube\nservices:"),
      ["github_configs: expected a mapping of name to repository"],
    ],
    [
      "a NoKube download over plain http without sha256",
      `${VALID}\napplyer_nokube: { cluster_name: home, nokube_download_url: "http://example.com/nokube" }\n`,
      [
        "applyer_nokube.nokube_download_url: a plain http URL needs applyer_nokube.sha256 (the binary's checksum)",
      ],
    ],
    [
      "a notification without a url",
      `${VALID}\nnotifications: [{ type: slack }]`,
      ["notifications[0]: expected url or url_env"],
    ],
    [
      "a relative helm_bin path",
      `${VALID}\nhelm_bin: bin/helm`,
      ["helm_bin: expected an absolute path, or a command name looked up in PATH"],
    ],
    [
      "per-file events asked of a chat notification",
      `${VALID}\nnotifications: [{ type: generic, url: "http://a/x" }, { type: teams, url: "http://b/y", per_file: true }]`,
      ["notifications[1].per_file: only the generic type sends per-file events, not teams"],
    ],
  ];

  it.each(mistakes)("rejects %s, naming the path", (_name, text, expected) => {
    const issues = issuesOf(text);
    for (const fragment of expected)
      expect(
        issues.some((issue) => issue.startsWith(fragment)),
        issues.join("\n"),
      ).toBe(true);
  });

  it("reports every mistake at once", () => {
    const issues = issuesOf(
      `${VALID.replace("github: nokube", "github: infra")}\napplyers: [nokube]\nlisten: "h:99999"`,
    );
    expect(issues).toEqual([
      'services[0].github: "infra" is not a key of github_configs (known: nokube)',
      'applyers[0]: "nokube" needs applyer_nokube (cluster_name, nokube_download_url)',
      "listen: expected a port from 0 (any free port) to 65535",
    ]);
  });

  it("never shows a token, not even in an error about it", () => {
    let message = "";
    try {
      parseConfig(
        VALID.replace(
          "token: ghp_supersecretvalue",
          "token: ghp_supersecretvalue\n    token_file: /x\n    colour: 1",
        ),
      );
    } catch (error: unknown) {
      message = String(error) + JSON.stringify(error);
    }
    expect(message).toContain("github_configs.nokube");
    expect(message).not.toContain("ghp_supersecretvalue");
    const config = parseConfig(VALID);
    expect(JSON.stringify(config)).not.toContain("ghp_supersecretvalue");
    expect(String(config.repos[0]?.token?.value)).toBe("[redacted]");
    expect(config.repos[0]?.token?.value?.reveal()).toBe("ghp_supersecretvalue");
  });
});

describe("resolveSecrets", () => {
  const withRefs = parseConfig(
    VALID.replace("token: ghp_supersecretvalue", "token_env: GH_TOKEN").concat(
      "notifications: [{ type: slack, url_env: SLACK_URL }]\n",
    ),
  );

  it("reads token_env and url_env from the environment", () => {
    const config = resolveSecrets(withRefs, {
      env: { GH_TOKEN: "t1", SLACK_URL: "https://hooks" },
      readFile: () => "",
    });
    expect(config.repos[0]?.token?.value?.reveal()).toBe("t1");
    expect(config.notifications[0]?.url.value?.reveal()).toBe("https://hooks");
  });

  it("reads token_file, trimming the trailing newline", () => {
    const config = resolveSecrets(
      parseConfig(VALID.replace("token: ghp_supersecretvalue", "token_file: /run/t")),
      {
        env: {},
        readFile: (path) => (path === "/run/t" ? "t2\n" : ""),
      },
    );
    expect(config.repos[0]?.token?.value?.reveal()).toBe("t2");
  });

  it("names every missing secret at once", () => {
    expect(() => resolveSecrets(withRefs, { env: {}, readFile: () => "" })).toThrowError(
      /github_configs\.nokube\.token_env: environment variable GH_TOKEN is not set\n.*notifications\[0\]\.url_env: environment variable SLACK_URL is not set/s,
    );
  });
});
