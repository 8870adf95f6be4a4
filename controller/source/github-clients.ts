import { createHash } from "node:crypto";
import type { GitHubClient, GitHubClientOptions } from "./github-client.js";
import type { SourceRepository } from "./source.js";

/** ClientFor gives the client that reads a repository with its credential. */
export type ClientFor = (repository: SourceRepository) => GitHubClient;

/** ClientPoolOptions are what every client shares: everything but the API root and the credential. */
export type ClientPoolOptions = Omit<GitHubClientOptions, "apiUrl" | "token" | "app"> & {
  readonly createClient: (options: GitHubClientOptions) => GitHubClient;
};

/**
 * createClientPool keeps one client per API root and credential: a GitHub App's client keeps its installation token
 * cache across polls. Credentials are keyed by their SHA-256, so the pool holds no second copy of a secret.
 */
export function createClientPool(options: ClientPoolOptions): ClientFor {
  const { createClient, ...shared } = options;
  const clients = new Map<string, GitHubClient>();
  return (repository) => {
    const { app } = repository;
    const credential = app ? `app\n${app.appId}\n${app.installationId}\n${app.privateKey}` : repository.token;
    const tokenId = credential === undefined ? "" : createHash("sha256").update(credential).digest("hex");
    const key = `${repository.apiUrl}\n${tokenId}`;
    let client = clients.get(key);
    if (client === undefined) {
      client = createClient({
        apiUrl: repository.apiUrl,
        ...(repository.token === undefined ? {} : { token: repository.token }),
        ...(app === undefined ? {} : { app }),
        ...shared,
      });
      clients.set(key, client);
    }
    return client;
  };
}
