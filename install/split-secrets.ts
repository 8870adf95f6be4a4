/** SecretLookup reads the installer's environment and files for `*_env` and `token_file` references. */
export interface SecretLookup {
  readonly env: (name: string) => string | undefined;
  readonly file: (path: string) => string | undefined;
}

/** SplitConfig is the config with every credential replaced by an environment reference, and those credentials. */
export interface SplitConfig {
  readonly config: Record<string, unknown>;
  readonly secretData: Record<string, string>;
  readonly warnings: string[];
}

type Entry = Record<string, unknown>;

const envName = (prefix: string, key: string) => `${prefix}_${key.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}`;

/**
 * splitSecrets prepares the seed's config for a ConfigMap: each credential (inline, `*_env` or `token_file`) moves
 * into the Secret's data under an environment variable name, and the config refers to it by `*_env`, so the
 * ConfigMap can be read by anyone without revealing a token. Inputs are not changed.
 */
export function splitSecrets(raw: Entry, lookup: SecretLookup): SplitConfig {
  const config = structuredClone(raw);
  const secretData: Record<string, string> = {};
  const warnings: string[] = [];

  const carry = (name: string, value: string | undefined, what: string, required: boolean) => {
    if (value) secretData[name] = value;
    else if (required)
      warnings.push(`${what}: not found here; create it in Secret gitops-controller-secrets as ${name}`);
  };

  const github = config.github_configs;
  const githubEntries: [string, Entry][] = Array.isArray(github)
    ? (github as Entry[]).map((entry) => [String(entry.name), entry])
    : Object.entries((github ?? {}) as Record<string, Entry>);
  for (const [key, entry] of githubEntries) {
    const what = `github_configs.${key}`;
    const name = envName("GITOPS_TOKEN", key);
    if (typeof entry.token === "string") carry(name, entry.token, `${what}.token`, true);
    else if (typeof entry.token_env === "string")
      carry(name, lookup.env(entry.token_env), `${what}.token_env ${entry.token_env}`, true);
    else if (typeof entry.token_file === "string")
      carry(name, lookup.file(entry.token_file)?.trim(), `${what}.token_file ${entry.token_file}`, true);
    const hadToken = ["token", "token_env", "token_file"].some((field) => entry[field] !== undefined);
    delete entry.token;
    delete entry.token_file;
    delete entry.token_env;
    if (hadToken) entry.token_env = name;
    const webhookSecretEnv =
      typeof entry.webhook_secret_env === "string" ? entry.webhook_secret_env : "WEBHOOK_SECRET";
    carry(webhookSecretEnv, lookup.env(webhookSecretEnv), `${what}.webhook_secret_env`, false);
  }

  const notifications = ((config.notifications ?? []) as Entry[]).map((entry, i) => {
    const name = envName("GITOPS_NOTIFY_URL", String(i));
    if (typeof entry.url === "string") {
      carry(name, entry.url, `notifications[${i}].url`, true);
      const { url: _url, ...rest } = entry;
      return { ...rest, url_env: name };
    }
    if (typeof entry.url_env === "string")
      carry(entry.url_env, lookup.env(entry.url_env), `notifications[${i}].url_env ${entry.url_env}`, true);
    if (typeof entry.secret_env === "string")
      carry(
        entry.secret_env,
        lookup.env(entry.secret_env),
        `notifications[${i}].secret_env ${entry.secret_env}`,
        true,
      );
    return entry;
  });
  if (typeof config.webhook_url === "string") {
    carry("GITOPS_WEBHOOK_URL", config.webhook_url, "webhook_url", true);
    notifications.push({ type: "generic", url_env: "GITOPS_WEBHOOK_URL" });
    delete config.webhook_url;
  }
  if (notifications.length > 0) config.notifications = notifications;
  return { config, secretData, warnings };
}
