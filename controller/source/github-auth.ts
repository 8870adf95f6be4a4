import { createAppAuth } from "@octokit/auth-app";
import { GitOpsError } from "../../common/errors.js";

/** GitHubAppCredentials are a GitHub App installation's plain values, resolved from `github_app` by the caller. */
export interface GitHubAppCredentials {
  readonly appId: number;
  readonly installationId: number;
  /** The app's PEM private key: it signs the JWTs that mint installation tokens and never leaves the process. */
  readonly privateKey: string;
}

/** GitHubAppAuthError says why an installation token could not be had, naming the app and the field to fix. */
export class GitHubAppAuthError extends GitOpsError {
  readonly code = "E_GITHUB_APP_AUTH";
  /** The HTTP status GitHub answered the token request with. */
  readonly status: number;

  constructor(message: string, status: number) {
    super(message);
    this.status = status;
  }
}

/** TOKEN_TTL_MS keeps an installation token 59 minutes, as auth-app's own cache does: GitHub's last one hour. */
export const TOKEN_TTL_MS = 59 * 60 * 1000;

type Hook = (request: unknown, route: unknown, parameters?: unknown) => Promise<unknown>;

interface HttpFailure {
  readonly status?: unknown;
  readonly request?: { readonly url?: unknown };
  readonly response?: { readonly data?: { readonly message?: unknown } };
}

const MINT_URL = /\/app\/installations\/\d+\/access_tokens$/;

/**
 * explainMintFailure turns GitHub's refusal to mint an installation token into what to fix. Only 4xx answers
 * are explained: a 5xx or a dropped connection stays as it is, to be retried like any other outage.
 */
function explainMintFailure(error: unknown, credentials: GitHubAppCredentials): unknown {
  const failure = error as HttpFailure | undefined;
  const status = failure?.status;
  const url = failure?.request?.url;
  if (typeof status !== "number" || status < 400 || status >= 500) return error;
  if (typeof url !== "string" || !MINT_URL.test(url.split("?")[0] ?? "")) return error;
  const said = failure?.response?.data?.message;
  const detail = typeof said === "string" ? `: ${said.slice(0, 200)}` : "";
  const app = `GitHub App ${credentials.appId}`;
  if (status === 401) {
    return new GitHubAppAuthError(
      `${app} was refused an installation token (HTTP 401${detail}). Check that github_app.app_id is the app's ID and that the private key (private_key_file or private_key_env) is a current key of that app.`,
      status,
    );
  }
  if (status === 404) {
    return new GitHubAppAuthError(
      `${app} has no installation ${credentials.installationId} (HTTP 404${detail}). Check github_app.installation_id: the number at the end of the installation's settings URL.`,
      status,
    );
  }
  return new GitHubAppAuthError(
    `${app}, installation ${credentials.installationId}: GitHub refused an installation token (HTTP ${status}${detail}). Check that the installation is not suspended and can read the repository.`,
    status,
  );
}

/**
 * tokenCache holds minted installation tokens for auth-app, forgetting each after `ttlMs` by the injected clock, so
 * a refresh can be tested without waiting an hour.
 */
function tokenCache(now: () => number, ttlMs: number) {
  const entries = new Map<string, { value: string; until: number }>();
  return {
    get(key: string): string | undefined {
      const entry = entries.get(key);
      if (entry !== undefined && now() < entry.until) return entry.value;
      entries.delete(key);
      return undefined;
    },
    set(key: string, value: string): void {
      entries.set(key, { value, until: now() + ttlMs });
    },
  };
}

/**
 * githubAppAuthOptions are the Octokit options that authenticate as one GitHub App installation: @octokit/auth-app
 * signs a JWT with the private key, mints an installation token, caches it and mints a new one when it is due,
 * all through the client's own request (its base URL, fetch and timeouts). A token refused for good is rethrown as
 * a {@link GitHubAppAuthError} that says what to fix and never quotes the key or the JWT.
 */
export function githubAppAuthOptions(
  credentials: GitHubAppCredentials,
  options: { readonly now?: () => number; readonly ttlMs?: number } = {},
) {
  const strategy = (strategyOptions: Parameters<typeof createAppAuth>[0]) => {
    const auth = createAppAuth(strategyOptions);
    const hook: Hook = async (request, route, parameters) => {
      try {
        return await (auth.hook as unknown as Hook)(request, route, parameters);
      } catch (error: unknown) {
        throw explainMintFailure(error, credentials);
      }
    };
    return Object.assign((authOptions: Parameters<typeof auth>[0]) => auth(authOptions), { hook });
  };
  return {
    authStrategy: strategy,
    auth: {
      appId: credentials.appId,
      installationId: credentials.installationId,
      privateKey: credentials.privateKey,
      cache: tokenCache(options.now ?? Date.now, options.ttlMs ?? TOKEN_TTL_MS),
    },
  };
}
