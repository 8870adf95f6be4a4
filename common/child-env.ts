/**
 * child-env: what a process this controller starts may see of its environment. Shared by the applyers (kubectl,
 * NoKube) and the kubeconfig loader (exec credential plugins), so every child gets the same allowlist.
 */

/** EnvSource is an environment to pick a child's variables from (`process.env` in production). */
export type EnvSource = Readonly<Record<string, string | undefined>>;

/** PROXY_ENV are the proxy variables a child may need to reach a server, in both spellings tools read. */
export const PROXY_ENV = [
  "HTTPS_PROXY",
  "https_proxy",
  "HTTP_PROXY",
  "http_proxy",
  "NO_PROXY",
  "no_proxy",
] as const;

/**
 * BASE_CHILD_ENV is the allowlist every child process starts from. The controller's environment holds the GitHub
 * token, webhook and HMAC secrets, notification URLs and API tokens; a child (kubectl, the downloaded NoKube CLI,
 * what they start) gets none of them, only what it needs to run and reach the cluster.
 */
export const BASE_CHILD_ENV = ["PATH", "HOME", "KUBECONFIG", ...PROXY_ENV] as const;

/** childEnv picks the allowlisted `names` that are set in `source`: a child's whole environment. */
export function childEnv(
  source: EnvSource,
  names: readonly string[] = BASE_CHILD_ENV,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of names) {
    const value = source[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}
