import { dirname, resolve } from "node:path";
import yaml from "js-yaml";
import { KubeConfigError } from "./errors.js";

/** ClusterEntry is what is used of a kubeconfig cluster: where the apiserver is and how to trust it. */
export interface ClusterEntry {
  readonly server?: string;
  /** ca is the PEM text, read from certificate-authority-data or the certificate-authority file. */
  readonly ca?: string;
  readonly insecureSkipTlsVerify: boolean;
  readonly tlsServerName?: string;
}

/** ExecConfig is a user's client-go credential plugin (`users[].user.exec`). */
export interface ExecConfig {
  readonly apiVersion: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: readonly { readonly name: string; readonly value: string }[];
  readonly installHint?: string;
  readonly provideClusterInfo: boolean;
}

/** UserEntry is what is used of a kubeconfig user: a client certificate, a token, a token file or a plugin. */
export interface UserEntry {
  readonly cert?: string;
  readonly key?: string;
  readonly token?: string;
  readonly tokenFile?: string;
  readonly exec?: ExecConfig;
  /** where names the entry in messages, e.g. `users[name=admin].user`. */
  readonly where?: string;
}

/** ContextEntry pairs a cluster with a user. */
export interface ContextEntry {
  readonly cluster?: string;
  readonly user?: string;
}

/** KubeConfigEntries are the named entries of one or more merged kubeconfig files. */
export interface KubeConfigEntries {
  /** files names the files read, for messages. */
  readonly files: string;
  readonly currentContext?: string;
  readonly clusters: ReadonlyMap<string, { readonly value: ClusterEntry }>;
  readonly users: ReadonlyMap<string, { readonly value: UserEntry }>;
  readonly contexts: ReadonlyMap<string, { readonly value: ContextEntry }>;
}

/** MAX_KUBECONFIG_BYTES bounds what is parsed: a kubeconfig with embedded certificates is a few KiB. */
export const MAX_KUBECONFIG_BYTES = 4 * 1024 * 1024;

type Raw = Record<string, unknown>;

/**
 * readKubeConfigFile reads one kubeconfig. Only the fields used are read, each checked for its type; relative
 * paths (certificate files, tokenFile, an exec command with a slash) are relative to the file, as kubectl reads
 * them. The YAML is parsed with the JSON schema (no timestamps, no merge keys) and nothing is copied out of it
 * but strings, so an alias bomb expands nowhere. Errors name the file and the field.
 */
export function readKubeConfigFile(path: string, readFile: (path: string) => string): KubeConfigEntries {
  const fail = (message: string, cause?: unknown) =>
    new KubeConfigError(`kubeconfig ${path}: ${message}`, cause === undefined ? undefined : { cause });
  let text: string;
  try {
    text = readFile(path);
  } catch (error: unknown) {
    throw fail(`cannot read it: ${(error as Error).message}`, error);
  }
  if (text.length > MAX_KUBECONFIG_BYTES) throw fail(`larger than ${MAX_KUBECONFIG_BYTES} bytes; refused`);
  let doc: unknown;
  try {
    doc = yaml.load(text, { schema: yaml.JSON_SCHEMA, filename: path });
  } catch (error: unknown) {
    throw fail(`invalid YAML: ${error instanceof yaml.YAMLException ? error.message : String(error)}`, error);
  }
  const root = doc ?? {};
  if (!isRecord(root)) throw fail("expected a mapping at the top level");
  const dir = dirname(path);
  const field = createFieldReader(fail, (file) => resolve(dir, file), readFile);
  const currentContext = field.string(root, "current-context");
  return {
    files: path,
    ...(currentContext ? { currentContext } : {}),
    clusters: named(root, "clusters", "cluster", field, (c, where) => ({
      ...optional("server", field.string(c, "server", where)),
      ...optional("ca", field.pem(c, "certificate-authority", where)),
      insecureSkipTlsVerify: field.boolean(c, "insecure-skip-tls-verify", where),
      ...optional("tlsServerName", field.string(c, "tls-server-name", where)),
      ...field.unsupported(c, ["proxy-url"], where),
    })),
    users: named(root, "users", "user", field, (u, where) => ({
      where,
      ...optional("cert", field.pem(u, "client-certificate", where)),
      ...optional("key", field.pem(u, "client-key", where)),
      ...optional("token", field.string(u, "token", where)),
      ...optional("tokenFile", field.path(u, "tokenFile", where)),
      ...optional("exec", execOf(u, where, field)),
      ...field.unsupported(u, ["auth-provider", "username", "password", "as"], where),
    })),
    contexts: named(root, "contexts", "context", field, (c, where) => ({
      ...optional("cluster", field.string(c, "cluster", where)),
      ...optional("user", field.string(c, "user", where)),
    })),
  };
}

/** mergeKubeConfigs merges files as kubectl merges $KUBECONFIG: the first file to set a value or a name wins. */
export function mergeKubeConfigs(files: readonly KubeConfigEntries[]): KubeConfigEntries {
  const first = <T>(pick: (file: KubeConfigEntries) => ReadonlyMap<string, T>) => {
    const merged = new Map<string, T>();
    for (const file of files)
      for (const [name, entry] of pick(file)) if (!merged.has(name)) merged.set(name, entry);
    return merged;
  };
  const currentContext = files.find((file) => file.currentContext)?.currentContext;
  return {
    files: files.map((file) => file.files).join(", "),
    ...(currentContext ? { currentContext } : {}),
    clusters: first((file) => file.clusters),
    users: first((file) => file.users),
    contexts: first((file) => file.contexts),
  };
}

type FieldReader = ReturnType<typeof createFieldReader>;

function createFieldReader(
  fail: (message: string, cause?: unknown) => Error,
  resolvePath: (path: string) => string,
  readFile: (path: string) => string,
) {
  const at = (where: string | undefined, key: string) => (where ? `${where}.${key}` : key);
  const reader = {
    string(raw: Raw, key: string, where?: string): string | undefined {
      const value = raw[key];
      if (value === undefined || value === null || value === "") return undefined;
      if (typeof value !== "string") throw fail(`${at(where, key)}: expected a string`);
      return value;
    },
    boolean(raw: Raw, key: string, where: string): boolean {
      const value = raw[key];
      if (value === undefined || value === null) return false;
      if (typeof value !== "boolean") throw fail(`${at(where, key)}: expected true or false`);
      return value;
    },
    path(raw: Raw, key: string, where: string): string | undefined {
      const value = reader.string(raw, key, where);
      return value === undefined ? undefined : resolvePath(value);
    },
    /** pem reads `key-data` (base64) or the file named by `key`. */
    pem(raw: Raw, key: string, where: string): string | undefined {
      const data = reader.string(raw, `${key}-data`, where);
      if (data !== undefined) return Buffer.from(data, "base64").toString("utf8");
      const file = reader.path(raw, key, where);
      if (file === undefined) return undefined;
      try {
        return readFile(file);
      } catch (error: unknown) {
        throw fail(`${at(where, key)}: cannot read ${file}: ${(error as Error).message}`, error);
      }
    },
    unsupported(raw: Raw, keys: readonly string[], where: string): Record<string, never> {
      const found = keys.find((key) => raw[key] !== undefined && raw[key] !== null && raw[key] !== "");
      if (found)
        throw fail(
          `${at(where, found)} is not supported (supported: certificates, token, tokenFile, exec); the kubectl applyer may read it`,
        );
      return {};
    },
    resolvePath,
    fail,
  };
  return reader;
}

function execOf(user: Raw, where: string, field: FieldReader): ExecConfig | undefined {
  const exec = user.exec;
  if (exec === undefined || exec === null) return undefined;
  const at = `${where}.exec`;
  if (!isRecord(exec)) throw field.fail(`${at}: expected a mapping`);
  const command = field.string(exec, "command", at);
  if (!command) throw field.fail(`${at}.command is not set`);
  const args = exec.args ?? [];
  if (!Array.isArray(args) || args.some((arg) => typeof arg !== "string"))
    throw field.fail(`${at}.args: expected a list of strings`);
  const env = (exec.env ?? []) as unknown;
  if (
    !Array.isArray(env) ||
    env.some((e) => !isRecord(e) || typeof e.name !== "string" || typeof e.value !== "string")
  )
    throw field.fail(`${at}.env: expected a list of {name, value} strings`);
  const installHint = field.string(exec, "installHint", at);
  return {
    apiVersion: field.string(exec, "apiVersion", at) ?? "client.authentication.k8s.io/v1",
    // A bare name is looked up on PATH; a relative path with a slash is relative to the kubeconfig, as in client-go.
    command: command.includes("/") ? field.resolvePath(command) : command,
    args: args as string[],
    env: env as { name: string; value: string }[],
    ...optional("installHint", installHint),
    provideClusterInfo: field.boolean(exec, "provideClusterInfo", at),
  };
}

function named<T>(
  root: Raw,
  list: string,
  inner: string,
  field: FieldReader,
  read: (value: Raw, where: string) => T,
): Map<string, { value: T }> {
  const entries = new Map<string, { value: T }>();
  const items = root[list] ?? [];
  if (!Array.isArray(items)) throw field.fail(`${list}: expected a list`);
  items.forEach((item, i) => {
    if (!isRecord(item)) throw field.fail(`${list}[${i}]: expected a mapping`);
    const name = field.string(item, "name", `${list}[${i}]`);
    if (!name) throw field.fail(`${list}[${i}].name is not set`);
    const value = item[inner] ?? {};
    const where = `${list}[name=${name}].${inner}`;
    if (!isRecord(value)) throw field.fail(`${where}: expected a mapping`);
    if (!entries.has(name)) entries.set(name, { value: read(value, where) });
  });
  return entries;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function isRecord(value: unknown): value is Raw {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
