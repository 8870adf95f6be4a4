import { childEnv, type EnvSource } from "../common/child-env.js";
import { type ExecCluster, type ExecResult, execInfo, runExecPlugin } from "./exec-plugin.js";
import type { ExecConfig, UserEntry } from "./kubeconfig-file.js";

/** Credentials are a target's changing part: read per request, dropped after a 401. */
export interface Credentials {
  credentials(signal?: AbortSignal): Promise<{ token?: string; cert?: string; key?: string }>;
  forget(): void;
}

/** CredentialDeps are the loader's outside world: the environment, files, the clock, the plugin deadline. */
export interface CredentialDeps {
  readonly env: EnvSource;
  readonly readFile: (path: string) => string;
  readonly now: () => number;
  /** execTimeoutMs bounds one run of an exec credential plugin; default {@link EXEC_TIMEOUT_MS}. */
  readonly execTimeoutMs?: number;
}

/** EXEC_TIMEOUT_MS bounds an exec credential plugin: one that hangs must not hold every apiserver request. */
export const EXEC_TIMEOUT_MS = 30_000;
/** TOKEN_FILE_TTL_MS is how long a token read from a file is used before the file is read again (client-go's minute). */
export const TOKEN_FILE_TTL_MS = 60_000;
// A plugin's token is refreshed this long before it expires, so a request never carries one that lapses in flight.
const EXPIRY_MARGIN_MS = 10_000;

/**
 * credentialsFor turns a kubeconfig user into per-request credentials: a token as written, a token file re-read
 * every minute (a projected service-account token rotates), or an exec plugin (client.authentication.k8s.io v1 or
 * v1beta1 ExecCredential) run at most once at a time and again when its credential expires or was refused.
 */
export function credentialsFor(
  user: UserEntry,
  cluster: ExecCluster,
  deps: CredentialDeps,
  fail: (message: string) => Error,
): Credentials {
  const where = user.where ?? "user";
  if (user.exec) return execCredentials(user.exec, `${where}.exec`, cluster, deps, fail);
  if (user.token) {
    const token = user.token;
    return { credentials: async () => ({ token }), forget: () => undefined };
  }
  if (user.tokenFile) return tokenFileCredentials(user.tokenFile, `${where}.tokenFile`, deps, fail);
  return { credentials: async () => ({}), forget: () => undefined };
}

/** tokenFileCredentials reads a token file, again once it is older than {@link TOKEN_FILE_TTL_MS} or refused. */
export function tokenFileCredentials(
  path: string,
  where: string,
  deps: Pick<CredentialDeps, "readFile" | "now">,
  fail: (message: string) => Error,
): Credentials {
  let cached: { token: string; readAt: number } | undefined;
  return {
    async credentials() {
      if (!cached || deps.now() - cached.readAt >= TOKEN_FILE_TTL_MS) {
        let token: string;
        try {
          token = deps.readFile(path).trim();
        } catch (error: unknown) {
          throw fail(`${where}: cannot read ${path}: ${(error as Error).message}`);
        }
        if (token === "") throw fail(`${where}: ${path} is empty`);
        cached = { token, readAt: deps.now() };
      }
      return { token: cached.token };
    },
    forget() {
      cached = undefined;
    },
  };
}

/**
 * execCredentials runs an exec plugin (client.authentication.k8s.io v1 or v1beta1) for a credential, at most one run
 * at a time, and again when the credential is about to expire or was refused.
 */
function execCredentials(
  exec: ExecConfig,
  where: string,
  cluster: ExecCluster,
  deps: CredentialDeps,
  fail: (message: string) => Error,
): Credentials {
  if (
    exec.apiVersion !== "client.authentication.k8s.io/v1" &&
    exec.apiVersion !== "client.authentication.k8s.io/v1beta1"
  )
    throw fail(
      `${where}.apiVersion: "${exec.apiVersion}" is not supported (client.authentication.k8s.io/v1 or v1beta1)`,
    );
  const timeoutMs = deps.execTimeoutMs ?? EXEC_TIMEOUT_MS;
  const env = {
    // The plugin gets the same allowlist as kubectl, never the controller's tokens and secrets.
    ...childEnv(deps.env),
    ...Object.fromEntries(exec.env.map((e) => [e.name, e.value])),
    KUBERNETES_EXEC_INFO: JSON.stringify(execInfo(exec, cluster)),
  };
  let cached: ExecResult | undefined;
  let running: Promise<ExecResult> | undefined;

  return {
    async credentials(signal) {
      if (cached && (cached.expiresAt === undefined || deps.now() < cached.expiresAt - EXPIRY_MARGIN_MS))
        return cached.value;
      running ??= runExecPlugin(exec, where, { env, timeoutMs }, fail)
        .then((result) => {
          cached = result;
          return result;
        })
        .finally(() => {
          running = undefined;
        });
      return (await abortable(running, signal)).value;
    },
    forget() {
      cached = undefined;
    },
  };
}

/** abortable settles with `promise`, or rejects with the signal's reason as soon as it aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
