import type { ConfigIssue } from "./config-error.js";
import { issuesOf } from "./known-keys.js";
import {
  githubConfigListSchema,
  githubConfigMapSchema,
  type RawConfig,
  type RawGithubConfig,
} from "./schema.js";
import { secretRef } from "./secret-ref.js";
import type { GitHubAppConfig, RepoConfig } from "./types.js";

/** githubEntries reads `github_configs` as a mapping or a list: (name, entry, path of the entry). */
export function githubEntries(value: unknown, issues: ConfigIssue[]): [string, RawGithubConfig, string][] {
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

/**
 * declaredRepoNames are the names `github_configs` declares, valid entries or not: a service naming an entry that
 * failed its own checks is not reported again as naming an unknown one.
 */
export function declaredRepoNames(value: unknown): ReadonlySet<string> {
  if (Array.isArray(value))
    return new Set(value.flatMap((entry) => (typeof entry?.name === "string" ? [entry.name] : [])));
  return new Set(typeof value === "object" && value !== null ? Object.keys(value) : []);
}

/** buildRepos reads `github_configs` (either form) into RepoConfigs keyed by name. */
export function buildRepos(raw: RawConfig, issues: ConfigIssue[]): Map<string, RepoConfig> {
  const repos = new Map<string, RepoConfig>();
  for (const [key, entry, path] of githubEntries(raw.github_configs, issues)) {
    const token = secretRef(
      path,
      { inline: entry.token, env: entry.token_env, file: entry.token_file },
      { inline: "token", env: "token_env", file: "token_file" },
      issues,
    );
    const githubApp = githubAppOf(entry, path, token !== undefined, issues);
    // GitHub refuses anonymous writes: statuses and comments need a credential.
    for (const key of ["commit_status", "pr_preview"] as const) {
      if (entry[key] && !token && !entry.github_app)
        issues.push({
          path: `${path}.${key}`,
          message: `needs a token (token, token_env, token_file) or github_app: GitHub refuses anonymous ${key === "pr_preview" ? "comments and statuses" : "statuses"}`,
        });
    }
    repos.set(key, {
      key,
      owner: entry.repo_owner,
      name: entry.repo_name,
      branch: entry.branch,
      apiUrl: entry.api_url.replace(/\/+$/, ""),
      htmlUrl: htmlUrlOf(entry.api_url, entry.repo_owner, entry.repo_name),
      webhookSecretEnv: entry.webhook_secret_env,
      ...(token ? { token } : {}),
      ...(githubApp ? { githubApp } : {}),
      ...(entry.commit_status ? { commitStatus: true } : {}),
      ...(entry.pr_preview ? { prPreview: { forks: entry.pr_preview.forks ?? false } } : {}),
      ...(entry.on_failure === "rollback" ? { onFailure: entry.on_failure } : {}),
    });
  }
  return repos;
}

/** githubAppOf reads `github_app`, the one alternative to a token; the key itself comes from a file or the env. */
function githubAppOf(
  entry: RawGithubConfig,
  path: string,
  hasToken: boolean,
  issues: ConfigIssue[],
): GitHubAppConfig | undefined {
  const app = entry.github_app;
  if (app === undefined) return undefined;
  if (hasToken) {
    const tokens = (["token", "token_env", "token_file"] as const).filter((key) => entry[key] !== undefined);
    issues.push({
      path,
      message: `expected one way to authenticate: ${tokens.join(", ")} or github_app, not both`,
    });
    return undefined;
  }
  const where = `${path}.github_app`;
  const privateKey = secretRef(
    where,
    { env: app.private_key_env, file: app.private_key_file },
    { inline: "", env: "private_key_env", file: "private_key_file" },
    issues,
  );
  if (privateKey === undefined) {
    if (app.private_key_env === undefined && app.private_key_file === undefined)
      issues.push({
        path: where,
        message: "expected private_key_file or private_key_env (the app's private key)",
      });
    return undefined;
  }
  return { appId: app.app_id, installationId: app.installation_id, privateKey };
}

/** htmlUrlOf derives the browser URL: github.com for the public API, the same host for GitHub Enterprise. */
function htmlUrlOf(apiUrl: string, owner: string, name: string): string {
  const url = new URL(apiUrl);
  const host = url.hostname === "api.github.com" ? "github.com" : url.host;
  return `${url.protocol}//${host}/${owner}/${name}`;
}
