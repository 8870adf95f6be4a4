import type { RepoConfig } from "../config/types.js";
import type { SourceRepository } from "../source/source.js";

/** sourceRepository is a configured repository as a source reads it, with its token revealed for the request. */
export function sourceRepository(repo: RepoConfig): SourceRepository {
  return {
    owner: repo.owner,
    repo: repo.name,
    branch: repo.branch,
    apiUrl: repo.apiUrl,
    ...(repo.token?.value ? { token: repo.token.value.reveal() } : {}),
    ...(repo.githubApp?.privateKey.value
      ? {
          app: {
            appId: repo.githubApp.appId,
            installationId: repo.githubApp.installationId,
            privateKey: repo.githubApp.privateKey.value.reveal(),
          },
        }
      : {}),
  };
}
