import { createPrivateKey } from "node:crypto";
import { ConfigError, type ConfigIssue } from "./config-error.js";
import { Secret, type SecretRef } from "./secret.js";
import type { Config, RepoConfig } from "./types.js";

/** SecretSources is where `token_env`/`token_file`-style references are read from; injected for tests. */
export interface SecretSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile: (path: string) => string;
}

/** resolveSecretRef fills in one reference's value, or returns why it cannot (never quoting the value). */
export function resolveSecretRef(ref: SecretRef, sources: SecretSources): SecretRef | string {
  if (ref.from === "inline") return ref;
  if (ref.from === "env") {
    const value = sources.env[ref.name];
    return value ? { ...ref, value: new Secret(value) } : `environment variable ${ref.name} is not set`;
  }
  try {
    const value = sources.readFile(ref.name).trim();
    return value ? { ...ref, value: new Secret(value) } : `file ${ref.name} is empty`;
  } catch (error: unknown) {
    const reason = (error as NodeJS.ErrnoException).code ?? "unreadable";
    return `cannot read file ${ref.name} (${reason})`;
  }
}

/**
 * resolveSecrets reads every token and notification URL reference from the environment or files, so a missing
 * secret stops the controller at start-up with the field path, rather than failing later on the first poll.
 */
export function resolveSecrets(
  config: Config,
  sources: SecretSources,
  source = "gitops-config.yaml",
): Config {
  const issues: ConfigIssue[] = [];
  const resolve = (ref: SecretRef, path: string): SecretRef => {
    const result = resolveSecretRef(ref, sources);
    if (typeof result === "string") {
      issues.push({ path, message: result });
      return ref;
    }
    return result;
  };
  const repos = config.repos.map((repo): RepoConfig => {
    if (repo.githubApp) {
      const path = `github_configs.${repo.key}.github_app.private_key_${repo.githubApp.privateKey.from}`;
      const privateKey = resolve(repo.githubApp.privateKey, path);
      const problem = privateKey.value && privateKeyProblem(privateKey.value.reveal());
      if (problem) issues.push({ path, message: problem });
      return { ...repo, githubApp: { ...repo.githubApp, privateKey } };
    }
    return repo.token
      ? { ...repo, token: resolve(repo.token, `github_configs.${repo.key}.token_${repo.token.from}`) }
      : repo;
  });
  const notifications = config.notifications.map((notification, i) => ({
    ...notification,
    url: resolve(notification.url, `notifications[${i}].url_env`),
  }));
  if (issues.length > 0) throw new ConfigError(source, issues);
  return { ...config, repos, notifications };
}

/**
 * privateKeyProblem says why a GitHub App key cannot sign a JWT (GitHub issues RSA keys as PEM), without quoting it;
 * a key that parses but belongs to another app is found only when GitHub refuses the JWT.
 */
function privateKeyProblem(pem: string): string | undefined {
  try {
    // Keys kept in one-line environment variables carry "\n" for newlines; the JWT library accepts that too.
    const key = createPrivateKey(pem.replace(/\\n/g, "\n"));
    if (key.asymmetricKeyType !== "rsa")
      return `expected the app's RSA private key, found a ${key.asymmetricKeyType} key`;
    return undefined;
  } catch {
    return "not a PEM private key: expected the .pem file GitHub generated for the app (-----BEGIN RSA PRIVATE KEY-----)";
  }
}
