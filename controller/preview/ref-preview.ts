import { type ObjectRef, refOf } from "../../kube/objects.js";
import type { DesiredFile } from "../desired/files.js";
import { ownerLookup } from "../record/owners.js";
import { type ControllerState, emptyServiceState, emptyState } from "../record/state/state.js";
import { renderForCompare } from "../report/diff/compare-service.js";
import type { ServiceGroup } from "../report/diff/select-services.js";
import type { GitHubClient } from "../source/github-client.js";
import { httpStatus } from "../source/github-errors.js";
import type { ServiceResult, SourceRepository } from "../source/source.js";
import { sourcePaths } from "../sync/source-paths.js";
import { sourceRepository } from "../sync/source-repository.js";
import { type PreviewDeps, previewPull } from "./preview-pull.js";
import type { Preview } from "./types.js";

/** RefError is a ref that names neither a commit nor a branch of the repository, or a base that cannot be read. */
export class RefError extends Error {}

/** RefPreviewDeps are what previewing a ref reads: a preview's, less the state (made from the branch head). */
export type RefPreviewDeps = Omit<PreviewDeps, "state" | "ownerOf"> & {
  readonly client: (repository: SourceRepository) => GitHubClient;
};

/**
 * previewRef is `--diff --ref`: what merging a commit or branch into each repository's watched branch would change in
 * the cluster, made by the same code as a pull request's preview. With no state to read, what is landed is taken
 * to be the branch head: its files say which services the ref touches (a file whose SHA differs, kustomize
 * closures included), and its rendered set what a merge would prune.
 */
export async function previewRef(
  ref: string,
  group: ServiceGroup,
  deps: RefPreviewDeps,
  signal: AbortSignal,
): Promise<Preview> {
  const repository = sourceRepository(group.repo);
  const commit = await resolveRef(deps.client(repository), repository, ref, signal);
  const base = await deps.source.poll({
    repository,
    services: group.services.map((service) => ({ name: service.name, dir: service.dir })),
    known: {},
  });
  if (base.status === "failed")
    throw new RefError(`${repository.owner}/${repository.repo}: ${base.error.message}`);
  if (base.status === "unchanged") throw new RefError(`the source sent no files for ${repository.branch}`);
  const state = await landedAtHead(group, base.commit, base.services, deps);
  const paths: string[] = [];
  for (const service of group.services) {
    const files = state.services[service.name]?.files ?? {};
    const atRef = await deps.source.read({ repository, service, files, commit });
    paths.push(...changedPaths(files, atRef));
  }
  const pull = {
    repoKey: group.repo.key,
    number: 0,
    title: `--ref ${ref}`,
    url: "",
    author: "",
    headSha: commit,
    headRef: ref,
    baseRef: group.repo.branch,
    fork: false,
  };
  const preview = { ...deps, state: () => state, ownerOf: ownerLookup(() => state) };
  return previewPull(pull, { paths, complete: true }, preview, signal);
}

/** resolveRef is a full commit SHA the repository has, or the head of the branch `ref` names. */
async function resolveRef(
  client: GitHubClient,
  repository: SourceRepository,
  ref: string,
  signal: AbortSignal,
): Promise<string> {
  const where = { owner: repository.owner, repo: repository.repo, request: { signal } };
  try {
    if (/^[0-9a-f]{40}$/i.test(ref))
      return (await client.rest.git.getCommit({ ...where, commit_sha: ref.toLowerCase() })).data.sha;
    return (await client.rest.repos.getBranch({ ...where, branch: ref })).data.commit.sha;
  } catch (error: unknown) {
    if (httpStatus(error) !== 404 && httpStatus(error) !== 422) throw error;
    throw new RefError(
      `--ref ${ref}: ${repository.owner}/${repository.repo} has no such ${/^[0-9a-f]{40}$/i.test(ref) ? "commit" : "branch"} (give a full commit SHA or a branch name)`,
    );
  }
}

/** landedAtHead is a state in which each service landed its set at the branch head: its files and its objects. */
async function landedAtHead(
  group: ServiceGroup,
  commit: string,
  read: readonly ServiceResult[],
  deps: RefPreviewDeps,
): Promise<ControllerState> {
  const services: Record<string, ControllerState["services"][string]> = {};
  for (const service of group.services) {
    const found = read.find((result) => result.service === service.name);
    if (found === undefined || !found.ok) {
      services[service.name] = emptyServiceState();
      continue;
    }
    const rendered = await renderForCompare(service, { commit, files: found.files }, deps.parseCache, {
      ...deps.compare,
      config: deps.config,
    });
    const pathOf = sourcePaths(rendered.objects);
    const refs: ObjectRef[] = rendered.objects.map(refOf);
    services[service.name] = {
      ...emptyServiceState(),
      commit,
      files: fileShas(found.files),
      inventory: refs,
      objects: refs.map((object) => ({ ...object, action: "unchanged", path: pathOf(object) })),
    };
  }
  return { ...emptyState(), services };
}

function fileShas(files: readonly Pick<DesiredFile, "path" | "sha">[]): Record<string, string> {
  return Object.fromEntries(files.map((file) => [file.path, file.sha]));
}

/** changedPaths are the paths whose SHA differs between the head's files and the ref's (added and deleted too). */
function changedPaths(head: Readonly<Record<string, string>>, atRef: ServiceResult): string[] {
  if (!atRef.ok) return Object.keys(head).length > 0 ? Object.keys(head) : [atRef.dir];
  const ref = fileShas(atRef.files);
  const paths = new Set([...Object.keys(head), ...Object.keys(ref)]);
  return [...paths].filter((path) => head[path] !== ref[path]);
}
