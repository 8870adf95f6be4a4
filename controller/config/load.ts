import cron from "node-cron";
import type { z } from "zod";
import { ConfigError, type ConfigIssue } from "./config-error.js";
import { parseConfigYaml } from "./parse-yaml.js";
import {
  githubConfigListSchema,
  githubConfigMapSchema,
  githubConfigSchema,
  notificationSchema,
  type RawConfig,
  type RawGithubConfig,
  rawConfigSchema,
  serviceSchema,
} from "./schema.js";
import { Secret, type SecretRef } from "./secret.js";
import type { ApplyerName, Config, NotificationConfig, RepoConfig, ServiceConfig } from "./types.js";
import { toConfigIssues } from "./zod-issues.js";

const LEGACY_REPO_URL =
  /^https:\/\/github\.com\/([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+?)(?:\.git)?(?:\/tree\/(.+?))?\/?$/;

const shapeKeys = (schema: { shape: object }) => Object.keys(schema.shape);

function knownKeysAt(path: readonly PropertyKey[]): readonly string[] {
  const [top, index] = path;
  if (path.length === 0) return shapeKeys(rawConfigSchema);
  if (top === "services") return shapeKeys(serviceSchema);
  if (top === "notifications") return shapeKeys(notificationSchema);
  if (top === "applyer_nokube") return ["cluster_name", "nokube_download_url", "sha256"];
  if (top === "github_configs") {
    return typeof index === "number"
      ? ["name", ...shapeKeys(githubConfigSchema)]
      : shapeKeys(githubConfigSchema);
  }
  return [];
}

function issuesOf(result: z.ZodSafeParseResult<unknown>, prefix: PropertyKey[] = []): ConfigIssue[] {
  return result.success ? [] : toConfigIssues(result.error.issues, knownKeysAt, prefix);
}

function githubEntries(value: unknown, issues: ConfigIssue[]): [string, RawGithubConfig, string][] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) {
    const parsed = githubConfigListSchema.safeParse(value);
    issues.push(...issuesOf(parsed, ["github_configs"]));
    if (!parsed.success) return [];
    const seen = new Set<string>();
    return parsed.data.flatMap(({ name, ...entry }, i) => {
      if (seen.has(name)) {
        issues.push({ path: `github_configs[${i}].name`, message: `duplicate name "${name}"` });
        return [];
      }
      seen.add(name);
      return [[name, entry, `github_configs[${i}]`] as [string, RawGithubConfig, string]];
    });
  }
  if (typeof value === "object") {
    const parsed = githubConfigMapSchema.safeParse(value);
    issues.push(...issuesOf(parsed, ["github_configs"]));
    if (!parsed.success) return [];
    return Object.entries(parsed.data).map(([name, entry]) => [name, entry, `github_configs.${name}`]);
  }
  issues.push({
    path: "github_configs",
    message: "expected a mapping of name to repository, or a list of entries with a name",
  });
  return [];
}

function secretRef(
  path: string,
  fields: { inline?: string | undefined; env?: string | undefined; file?: string | undefined },
  names: { inline: string; env: string; file: string },
  issues: ConfigIssue[],
): SecretRef | undefined {
  const given = [
    fields.inline !== undefined && names.inline,
    fields.env !== undefined && names.env,
    fields.file !== undefined && names.file,
  ].filter((name): name is string => typeof name === "string");
  if (given.length > 1) {
    issues.push({ path, message: `expected at most one of ${given.join(", ")}` });
    return undefined;
  }
  if (fields.inline !== undefined) return { from: "inline", name: "", value: new Secret(fields.inline) };
  if (fields.env !== undefined) return { from: "env", name: fields.env };
  if (fields.file !== undefined) return { from: "file", name: fields.file };
  return undefined;
}

function buildRepos(raw: RawConfig, issues: ConfigIssue[]): Map<string, RepoConfig> {
  const repos = new Map<string, RepoConfig>();
  for (const [key, entry, path] of githubEntries(raw.github_configs, issues)) {
    const token = secretRef(
      path,
      { inline: entry.token, env: entry.token_env, file: entry.token_file },
      { inline: "token", env: "token_env", file: "token_file" },
      issues,
    );
    repos.set(key, {
      key,
      owner: entry.repo_owner,
      name: entry.repo_name,
      branch: entry.branch,
      apiUrl: entry.api_url.replace(/\/+$/, ""),
      htmlUrl: htmlUrlOf(entry.api_url, entry.repo_owner, entry.repo_name),
      webhookSecretEnv: entry.webhook_secret_env,
      ...(token ? { token } : {}),
    });
  }
  return repos;
}

/** htmlUrlOf derives the browser URL: github.com for the public API, the same host for GitHub Enterprise. */
function htmlUrlOf(apiUrl: string, owner: string, name: string): string {
  const url = new URL(apiUrl);
  const host = url.hostname === "api.github.com" ? "github.com" : url.host;
  return `${url.protocol}//${host}/${owner}/${name}`;
}

function buildServices(
  raw: RawConfig,
  repos: Map<string, RepoConfig>,
  issues: ConfigIssue[],
): ServiceConfig[] {
  const names = new Set<string>();
  return raw.services.flatMap((service, i): ServiceConfig[] => {
    const path = `services[${i}]`;
    if (names.has(service.name))
      issues.push({ path: `${path}.name`, message: `duplicate service name "${service.name}"` });
    names.add(service.name);
    if (service.schedule !== undefined && !cron.validate(service.schedule)) {
      issues.push({ path: `${path}.schedule`, message: 'expected a cron expression such as "*/5 * * * *"' });
    }
    if (service.namespace && raw.namespaces && !raw.namespaces.includes(service.namespace)) {
      issues.push({
        path: `${path}.namespace`,
        message: `"${service.namespace}" is not in namespaces (allowed: ${raw.namespaces.join(", ")})`,
      });
    }
    const repoKey = resolveServiceRepo(service, path, repos, issues);
    if (repoKey === undefined) return [];
    return [
      {
        name: service.name,
        repoKey,
        dir: service.k8s_yaml_dir.replace(/^\.\//, "").replace(/\/+$/, ""),
        stateless: service.stateless,
        reconcileIntervalSeconds: service.reconcile_interval ?? raw.reconcile_interval,
        drift: service.drift,
        ...(service.namespace ? { namespace: service.namespace } : {}),
        ...(service.schedule ? { schedule: service.schedule } : {}),
      },
    ];
  });
}

function resolveServiceRepo(
  service: RawConfig["services"][number],
  path: string,
  repos: Map<string, RepoConfig>,
  issues: ConfigIssue[],
): string | undefined {
  if (service.github !== undefined && service.repo !== undefined) {
    issues.push({ path, message: "expected either github or repo, not both" });
    return undefined;
  }
  if (service.github !== undefined) {
    if (repos.has(service.github)) return service.github;
    const known = [...repos.keys()].filter((key) => !key.includes("/"));
    issues.push({
      path: `${path}.github`,
      message: `"${service.github}" is not a key of github_configs (known: ${known.join(", ") || "none"})`,
    });
    return undefined;
  }
  if (service.repo !== undefined) {
    const match = LEGACY_REPO_URL.exec(service.repo);
    if (!match) {
      issues.push({
        path: `${path}.repo`,
        message: "expected https://github.com/OWNER/NAME[.git][/tree/BRANCH]",
      });
      return undefined;
    }
    const [, owner = "", name = "", branch = "main"] = match;
    const key = branch === "main" ? `${owner}/${name}` : `${owner}/${name}@${branch}`;
    if (!repos.has(key)) {
      repos.set(key, {
        key,
        owner,
        name,
        branch,
        apiUrl: "https://api.github.com",
        htmlUrl: `https://github.com/${owner}/${name}`,
        webhookSecretEnv: "WEBHOOK_SECRET",
      });
    }
    return key;
  }
  issues.push({ path, message: "expected github (a key of github_configs) or repo (a GitHub URL)" });
  return undefined;
}

function buildApplyers(raw: RawConfig, issues: ConfigIssue[]): ApplyerName[] {
  const applyers: ApplyerName[] =
    raw.applyers ?? (raw.applyer_nokube ? ["nokube", "kubectl", "api"] : ["kubectl", "api"]);
  applyers.forEach((name, i) => {
    if (applyers.indexOf(name) !== i)
      issues.push({ path: `applyers[${i}]`, message: `"${name}" is listed twice` });
    if (name === "nokube" && !raw.applyer_nokube) {
      issues.push({
        path: `applyers[${i}]`,
        message: '"nokube" needs applyer_nokube (cluster_name, nokube_download_url)',
      });
    }
  });
  return applyers;
}

function buildNotifications(raw: RawConfig, issues: ConfigIssue[]): NotificationConfig[] {
  const out: NotificationConfig[] = [];
  raw.notifications.forEach((entry, i) => {
    const path = `notifications[${i}]`;
    const url = secretRef(
      path,
      { inline: entry.url, env: entry.url_env },
      { inline: "url", env: "url_env", file: "" },
      issues,
    );
    if (!url) {
      if (entry.url === undefined && entry.url_env === undefined)
        issues.push({ path, message: "expected url or url_env" });
      return;
    }
    out.push({ type: entry.type, url, ...(entry.secret_env ? { secretEnv: entry.secret_env } : {}) });
  });
  // Appended, not prepended, so that out[i] stays notifications[i] for error paths reported later.
  if (raw.webhook_url)
    out.push({ type: "generic", url: { from: "inline", name: "", value: new Secret(raw.webhook_url) } });
  return out;
}

/** parseListen splits a validated "HOST:PORT" (IPv6 hosts in brackets) into host and port. */
export function parseListen(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(":");
  return { host: listen.slice(0, at).replace(/^\[|\]$/g, ""), port: Number(listen.slice(at + 1)) };
}

/**
 * parseConfig validates a config file's text and returns the typed, defaulted Config, with secrets still as
 * references (see resolveSecrets). Every problem found is reported at once in one ConfigError.
 */
export function parseConfig(text: string, source = "gitops-config.yaml"): Config {
  const yamlResult = parseConfigYaml(text);
  if ("issue" in yamlResult) throw new ConfigError(source, [yamlResult.issue]);
  if (typeof yamlResult.value !== "object" || yamlResult.value === null || Array.isArray(yamlResult.value)) {
    throw new ConfigError(source, [
      { path: "(top level)", message: "expected a mapping with github_configs and services" },
    ]);
  }
  const parsed = rawConfigSchema.safeParse(yamlResult.value);
  if (!parsed.success) {
    const issues = issuesOf(parsed);
    githubEntries((yamlResult.value as { github_configs?: unknown }).github_configs, issues);
    throw new ConfigError(source, issues);
  }
  const raw = parsed.data;
  const issues: ConfigIssue[] = [];
  const repos = buildRepos(raw, issues);
  const services = buildServices(raw, repos, issues);
  const applyers = buildApplyers(raw, issues);
  const notifications = buildNotifications(raw, issues);
  (raw.cluster_kinds ?? []).forEach((entry, i, all) => {
    if (all.indexOf(entry) !== i)
      issues.push({ path: `cluster_kinds[${i}]`, message: `"${entry}" is listed twice` });
  });
  const nokube = raw.applyer_nokube;
  // A binary fetched over plain http and run unchecked is whatever the network path chose to send.
  if (nokube && new URL(nokube.nokube_download_url).protocol !== "https:" && nokube.sha256 === undefined) {
    issues.push({
      path: "applyer_nokube.nokube_download_url",
      message:
        "a plain http URL needs applyer_nokube.sha256 (the binary's checksum); use an https URL or set sha256",
    });
  }
  const listen = parseListen(raw.listen);
  if (listen.port > 65535)
    issues.push({ path: "listen", message: "expected a port from 0 (any free port) to 65535" });
  if (issues.length > 0) throw new ConfigError(source, issues);
  const usedRepos = [...repos.values()].filter((repo) =>
    services.some((service) => service.repoKey === repo.key),
  );
  return {
    repos: usedRepos,
    services,
    pollIntervalSeconds: raw.poll_interval,
    applyers,
    ...(raw.applyer_nokube
      ? {
          nokube: {
            clusterName: raw.applyer_nokube.cluster_name,
            downloadUrl: raw.applyer_nokube.nokube_download_url,
            ...(raw.applyer_nokube.sha256 ? { sha256: raw.applyer_nokube.sha256 } : {}),
          },
        }
      : {}),
    ...(raw.namespaces ? { namespaces: raw.namespaces } : {}),
    ...(raw.cluster_kinds ? { clusterKinds: raw.cluster_kinds } : {}),
    prune: raw.prune,
    healthTimeoutSeconds: raw.health_timeout,
    applyTimeoutSeconds: raw.apply_timeout,
    notifications,
    listen,
    state: raw.state,
    ...(raw.download_base_url ? { downloadBaseUrl: raw.download_base_url.replace(/\/+$/, "") } : {}),
    ...(raw.release_dir ? { releaseDir: raw.release_dir } : {}),
  };
}
