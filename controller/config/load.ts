import cron from "node-cron";
import { ConfigError, type ConfigIssue } from "./config-error.js";
import { dependencyIssues } from "./dependencies.js";
import { issuesOf } from "./known-keys.js";
import { parseConfigYaml } from "./parse-yaml.js";
import { buildRepos, declaredRepoNames, githubEntries } from "./repos.js";
import { type RawConfig, rawConfigSchema } from "./schema.js";
import { Secret } from "./secret.js";
import { secretRef } from "./secret-ref.js";
import type { ApplyerName, Config, NotificationConfig, RepoConfig, ServiceConfig } from "./types.js";

const LEGACY_REPO_URL =
  /^https:\/\/github\.com\/([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+?)(?:\.git)?(?:\/tree\/(.+?))?\/?$/;

function buildServices(
  raw: RawConfig,
  repos: Map<string, RepoConfig>,
  issues: ConfigIssue[],
): ServiceConfig[] {
  const names = new Set<string>();
  const declared = declaredRepoNames(raw.github_configs);
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
    const repoKey = resolveServiceRepo(service, path, repos, declared, issues);
    if (repoKey === undefined) return [];
    const repo = repos.get(repoKey);
    // Both would set the commit status context simple-gitops/<cluster_name>/preview on a commit.
    if (service.name === "preview" && repo?.prPreview && repo.commitStatus)
      issues.push({
        path: `${path}.name`,
        message: `"preview" is the commit status context of github_configs.${repoKey}'s pull request previews; rename the service or turn off commit_status there`,
      });
    const onFailure = service.on_failure ?? repos.get(repoKey)?.onFailure;
    return [
      {
        name: service.name,
        repoKey,
        dir: service.k8s_yaml_dir.replace(/^\.\//, "").replace(/\/+$/, ""),
        stateless: service.stateless,
        reconcileIntervalSeconds: service.reconcile_interval ?? raw.reconcile_interval,
        drift: service.drift,
        // hold is what an absent on_failure means: written or not, the config is the same.
        ...(onFailure === "rollback" ? { onFailure } : {}),
        ...(service.depends_on?.length ? { dependsOn: service.depends_on } : {}),
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
  declared: ReadonlySet<string>,
  issues: ConfigIssue[],
): string | undefined {
  if (service.github !== undefined && service.repo !== undefined) {
    issues.push({ path, message: "expected either github or repo, not both" });
    return undefined;
  }
  if (service.github !== undefined) {
    if (repos.has(service.github)) return service.github;
    if (declared.has(service.github)) return undefined;
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
    // api before kubectl: measured 2-4x faster for the same set (bench/apply-throughput.ts); kubectl stays next, for
    // kubeconfigs the api applyer cannot read (auth-provider, proxy-url).
    raw.applyers ?? (raw.applyer_nokube ? ["nokube", "api", "kubectl"] : ["api", "kubectl"]);
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
    if (entry.per_file && entry.type !== "generic")
      issues.push({
        path: `${path}.per_file`,
        message: `only the generic type sends per-file events, not ${entry.type}`,
      });
    out.push({
      type: entry.type,
      url,
      ...(entry.secret_env ? { secretEnv: entry.secret_env } : {}),
      ...(entry.per_file ? { perFile: true } : {}),
    });
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
  issues.push(
    ...dependencyIssues(raw.services.map((s) => ({ name: s.name, dependsOn: s.depends_on ?? [] }))),
  );
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
  // Every member reads every service's record, and a service's new owner continues from its last one.
  if (raw.sharding && raw.state !== "configmap")
    issues.push({
      path: "sharding",
      message:
        "sharding: true needs state: configmap (every controller reads the state the others write); set " +
        "state: configmap, or leave sharding unset for one controller",
    });
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
    ...(raw.rbac_rules ? { rbacRules: raw.rbac_rules } : {}),
    prune: raw.prune,
    healthTimeoutSeconds: raw.health_timeout,
    applyTimeoutSeconds: raw.apply_timeout,
    allowRemoteBases: raw.allow_remote_bases,
    ...(raw.helm_bin === undefined ? {} : { helmBin: raw.helm_bin }),
    notifications,
    listen,
    state: raw.state,
    sharding: raw.sharding ?? raw.state === "configmap",
    ...(raw.download_base_url ? { downloadBaseUrl: raw.download_base_url.replace(/\/+$/, "") } : {}),
    ...(raw.release_dir ? { releaseDir: raw.release_dir } : {}),
    clusterName: raw.cluster_name ?? raw.applyer_nokube?.cluster_name ?? "default",
    ...(raw.public_url ? { publicUrl: raw.public_url.replace(/\/+$/, "") } : {}),
  };
}
