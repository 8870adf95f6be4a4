/** SecretLookup reads the installer's environment and files for `*_env` and `*_file` references. */
export interface SecretLookup {
  readonly env: (name: string) => string | undefined;
  readonly file: (path: string) => string | undefined;
  /**
   * installed reads a key of the Secret already installed, so that running apply-gitops again (an upgrade with
   * `--image`) keeps what is there when this shell does not set it. Absent: nothing is installed or readable.
   */
  readonly installed?: (key: string) => string | undefined;
}

/** MissingCredential is a credential the config refers to that is neither set here nor in the installed Secret. */
export interface MissingCredential {
  /** field is the config key as the user wrote it: `github_configs.apps.token_env`. */
  readonly field: string;
  /** source is what was looked for: `environment variable APPS_TOKEN`, `file /run/token`. */
  readonly source: string;
  /** key is the Secret key (the controller's environment variable) it would have been stored under. */
  readonly key: string;
  /**
   * without says what does not work while an optional credential is missing; a required one (absent `without`)
   * stops the installed controller at start-up, exactly as its own secret check does.
   */
  readonly without?: string;
}

/** SplitConfig is the config with every credential replaced by an environment reference, and those credentials. */
export interface SplitConfig {
  readonly config: Record<string, unknown>;
  readonly secretData: Record<string, string>;
  readonly missing: MissingCredential[];
  /** kept are the Secret keys whose value was kept from the installed Secret. */
  readonly kept: string[];
}

type Entry = Record<string, unknown>;
/** Ref is one credential reference of the config: where it is written and what it names. */
type Ref = {
  readonly field: string;
  readonly env?: string;
  readonly file?: string;
  readonly inline?: string;
};
/** Carry stores a credential under `key` and says whether it was found; Need also lists it when it was not. */
type Carry = (key: string, ref: Ref) => boolean;
type Need = (key: string, ref: Ref, without?: string) => void;

/** DEFAULT_WEBHOOK_SECRET_ENV is `webhook_secret_env`'s default (controller/config/schema.ts). */
const DEFAULT_WEBHOOK_SECRET_ENV = "WEBHOOK_SECRET";

const envName = (prefix: string, key: string) => `${prefix}_${key.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}`;
const text = (value: unknown) => (typeof value === "string" ? value : undefined);

/**
 * splitSecrets prepares the seed's config for a ConfigMap: each credential (inline, `*_env` or `*_file`) moves
 * into the Secret's data under an environment variable name, and the config refers to it by `*_env`, so the
 * ConfigMap can be read by anyone without revealing a token. A credential found neither in this shell nor in the
 * installed Secret is listed in `missing`; those of a repository not in `usedRepos` (when given) are optional, as
 * the controller does not load such a repository. Inputs are not changed.
 */
export function splitSecrets(raw: Entry, lookup: SecretLookup, usedRepos?: ReadonlySet<string>): SplitConfig {
  const config = structuredClone(raw);
  const secretData: Record<string, string> = {};
  const missing: MissingCredential[] = [];
  const kept: string[] = [];
  const carry: Carry = (key, ref) => {
    const here = ref.inline ?? (ref.env !== undefined ? lookup.env(ref.env) : readFile(lookup, ref.file));
    const value = here || lookup.installed?.(key);
    if (!value) return false;
    secretData[key] = value;
    if (!here && !kept.includes(key)) kept.push(key);
    return true;
  };
  const needing =
    (unused: boolean): Need =>
    (key, ref, without) => {
      if (carry(key, ref)) return;
      const source = ref.env !== undefined ? `environment variable ${ref.env}` : `file ${ref.file}`;
      // The controller loads only the repositories services use: another one's credential stops nothing.
      const optional = unused ? "nothing, as no service uses this repository, yet" : without;
      missing.push({ field: ref.field, source, key, ...(optional ? { without: optional } : {}) });
    };
  const need = needing(false);
  for (const [name, entry, path] of githubEntries(config))
    splitRepo(name, entry, path, { carry, need: needing(usedRepos !== undefined && !usedRepos.has(name)) });
  const notifications = splitNotifications(config, need);
  if (notifications.length > 0) config.notifications = notifications;
  return { config, secretData, missing, kept };
}

function readFile(lookup: SecretLookup, path: string | undefined): string | undefined {
  return path === undefined ? undefined : lookup.file(path)?.trim();
}

/**
 * githubEntries are the raw `github_configs` entries (map or list form), each with its name and its path as the
 * controller's start-up check names it (`github_configs.<name>` in both forms).
 */
function githubEntries(config: Entry): [string, Entry, string][] {
  const github = config.github_configs;
  const entries: [string, Entry][] = Array.isArray(github)
    ? (github as Entry[]).map((entry) => [String(entry.name), entry])
    : Object.entries((github ?? {}) as Record<string, Entry>);
  return entries.map(([name, entry]) => [name, entry, `github_configs.${name}`]);
}

/** splitRepo carries a repository's token or GitHub App key, and its webhook secret. */
function splitRepo(name: string, entry: Entry, path: string, { carry, need }: { carry: Carry; need: Need }) {
  const tokenField = (["token", "token_env", "token_file"] as const).find(
    (field) => entry[field] !== undefined,
  );
  if (tokenField) {
    const key = envName("GITOPS_TOKEN", name);
    need(key, refOf(entry, tokenField, `${path}.${tokenField}`));
    delete entry.token;
    delete entry.token_file;
    delete entry.token_env;
    entry.token_env = key;
  }
  const app = entry.github_app as Entry | undefined;
  const keyField = (["private_key_env", "private_key_file"] as const).find(
    (field) => app?.[field] !== undefined,
  );
  if (app && keyField) {
    const key = envName("GITOPS_APP_KEY", name);
    need(key, refOf(app, keyField, `${path}.github_app.${keyField}`));
    delete app.private_key_file;
    delete app.private_key_env;
    app.private_key_env = key;
  }
  // The webhook secret keeps its variable name, the one the controller reads. The default one the config does not
  // name is carried when set and otherwise not missed: webhooks are optional, polling works without them.
  const webhookEnv = text(entry.webhook_secret_env);
  const webhookRef = { field: `${path}.webhook_secret_env`, env: webhookEnv ?? DEFAULT_WEBHOOK_SECRET_ENV };
  if (webhookEnv) need(webhookEnv, webhookRef, "push webhooks for this repository are refused (401)");
  else carry(DEFAULT_WEBHOOK_SECRET_ENV, webhookRef);
}

/** splitNotifications carries each target's URL and signing secret, and turns `webhook_url` into a target. */
function splitNotifications(config: Entry, need: Need): Entry[] {
  const notifications = ((config.notifications ?? []) as Entry[]).map((entry, i) => {
    const path = `notifications[${i}]`;
    const { url: _url, ...rest } = entry;
    const urlEnv = text(entry.url_env) ?? envName("GITOPS_NOTIFY_URL", String(i));
    if (typeof entry.url === "string" || typeof entry.url_env === "string")
      need(urlEnv, refOf(entry, entry.url !== undefined ? "url" : "url_env", `${path}.url_env`));
    const secretEnv = text(entry.secret_env);
    if (secretEnv)
      need(
        secretEnv,
        { field: `${path}.secret_env`, env: secretEnv },
        "this target's notifications are sent without an X-Signature",
      );
    return entry.url !== undefined ? { ...rest, url_env: urlEnv } : entry;
  });
  const webhookUrl = text(config.webhook_url);
  if (webhookUrl !== undefined) {
    need("GITOPS_WEBHOOK_URL", { field: "webhook_url", inline: webhookUrl });
    notifications.push({ type: "generic", url_env: "GITOPS_WEBHOOK_URL" });
    delete config.webhook_url;
  }
  return notifications;
}

/** refOf reads a `token`/`*_env`/`*_file` field of an entry as a {@link Ref}. */
function refOf(entry: Entry, field: string, path: string): Ref {
  const value = text(entry[field]) ?? "";
  if (field.endsWith("_env")) return { field: path, env: value };
  if (field.endsWith("_file")) return { field: path, file: value };
  return { field: path, inline: value };
}
