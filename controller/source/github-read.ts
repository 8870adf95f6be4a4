import { repositoryLabel } from "./errors.js";
import { requestContext } from "./github-errors.js";
import type { GitHubSourceState } from "./github-state.js";
import { comparePaths } from "./order.js";
import { finishService, type ServicePlan } from "./plan.js";
import type { ReadRequest, ServiceResult } from "./source.js";

/**
 * readService reads the files of a service's known set (path → blob SHA) with their text, from the blob cache where
 * it can: a reconcile of a landed commit costs no GitHub request while the blobs are cached.
 */
export async function readService(source: GitHubSourceState, request: ReadRequest): Promise<ServiceResult> {
  const { repository, service } = request;
  const plan: ServicePlan = {
    ok: true,
    service: service.name,
    dir: service.dir,
    files: Object.entries(request.files)
      .map(([path, sha]) => ({ path, sha, size: 0, changed: false }))
      .sort((a, b) => comparePaths(a.path, b.path)),
    deleted: [],
  };
  const read = await source.blobs.read({
    client: source.clientFor(repository),
    repository,
    plans: [plan],
    context: requestContext(repository, [service.name], source.now),
  });
  return finishService(plan, read, repositoryLabel(repository));
}
