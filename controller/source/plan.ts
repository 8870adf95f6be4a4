import { normalizeDir } from "../../common/repo-path.js";
import type { DesiredFile } from "../desired/files.js";
import { SourceError } from "./errors.js";
import { comparePaths, isManifestPath } from "./order.js";
import type { KnownState, ServiceFailure, ServiceFiles, SourceService } from "./source.js";

/** TreeEntry is one entry of a git tree listing, with its path from the repository root. */
export interface TreeEntry {
  readonly path: string;
  readonly mode: string;
  readonly type: string;
  readonly sha: string;
  readonly size?: number;
}

/** DirListing is what a source found under one service directory: whether it exists, and its entries. */
export type DirListing =
  | { readonly exists: true; readonly entries: readonly TreeEntry[] }
  | { readonly exists: false; readonly reason: "missing" | "not-a-directory" };

/** PlannedFile is a manifest at the new head before its content is read. */
export interface PlannedFile {
  readonly path: string;
  readonly sha: string;
  readonly size: number;
  readonly changed: boolean;
}

/** ServicePlan is every manifest one service needs read, and the known paths it lost, before any blob is read. */
export interface ServicePlan {
  readonly ok: true;
  readonly service: string;
  readonly dir: string;
  readonly files: readonly PlannedFile[];
  readonly deleted: readonly string[];
}

/** BlobText is a blob as a source keeps it: decoded UTF-8 text, or the fact that it is not text. */
export type BlobText = { readonly kind: "text"; readonly text: string } | { readonly kind: "binary" };

/** isUnderDir says whether a repository path lies anywhere below a normalized directory. */
export function isUnderDir(path: string, dir: string): boolean {
  return dir === "" || path.startsWith(`${dir}/`);
}

// Symlinks (120000) and submodules (160000) are not files whose bytes are manifests.
const REGULAR_FILE_MODES = new Set(["100644", "100755"]);

/** isRegularFile says whether a tree entry is a file whose bytes can be read as text (not a symlink, a submodule or a tree). */
export function isRegularFile(entry: TreeEntry): boolean {
  return entry.type === "blob" && REGULAR_FILE_MODES.has(entry.mode);
}

/** PlanFailureCode is why a service cannot be planned. */
type PlanFailureCode = "E_SOURCE_DIR_MISSING" | "E_SOURCE_DIR_EMPTY" | "E_SOURCE_FILE_UNUSABLE";

/** planFailure is a service that cannot be read, its message naming the service, the repository and what to do. */
export function planFailure(
  repository: string,
  service: SourceService,
  code: PlanFailureCode,
  what: string,
  next = "nothing was deleted. Fix k8s_yaml_dir or add the manifests.",
): ServiceFailure {
  return {
    ok: false,
    service: service.name,
    dir: service.dir,
    error: new SourceError(code, `service ${service.name}: ${what} in ${repository}; ${next}`, {
      repository,
      services: [service.name],
    }),
  };
}

/**
 * planService lists one service's manifests at the new head, says which differ from its known state and which known
 * paths are gone. A missing or empty directory, or a file over `maxFileBytes`, is an error for this service (naming
 * the file), never a plan that applies part of it or deletes everything it applied.
 */
export function planService(input: {
  readonly repository: string;
  readonly service: SourceService;
  readonly listing: DirListing;
  readonly known: KnownState | undefined;
  readonly maxFileBytes: number;
}): ServicePlan | ServiceFailure {
  const { repository, service, listing } = input;
  const dir = normalizeDir(service.dir);
  if (!listing.exists) {
    return planFailure(
      repository,
      service,
      "E_SOURCE_DIR_MISSING",
      listing.reason === "missing" ? `directory "${dir}" does not exist` : `"${dir}" is not a directory`,
    );
  }
  const entries = listing.entries.filter(
    (entry) => isRegularFile(entry) && isUnderDir(entry.path, dir) && isManifestPath(entry.path),
  );
  if (entries.length === 0) {
    return planFailure(
      repository,
      service,
      "E_SOURCE_DIR_EMPTY",
      `directory "${dir}" holds no .yaml, .yml or .json file`,
    );
  }
  return planEntries({ ...input, entries });
}

/**
 * planEntries plans exactly `entries` as a service's files: each marked changed when its SHA differs from the known
 * one, the known paths not among them deleted. A file over `maxFileBytes` fails the service, naming it.
 */
export function planEntries(input: {
  readonly repository: string;
  readonly service: SourceService;
  readonly entries: readonly Pick<TreeEntry, "path" | "sha" | "size">[];
  readonly known: KnownState | undefined;
  readonly maxFileBytes: number;
}): ServicePlan | ServiceFailure {
  const { repository, service, maxFileBytes } = input;
  const knownFiles = input.known?.files ?? {};
  const files = input.entries
    .map(
      (entry): PlannedFile => ({
        path: entry.path,
        sha: entry.sha,
        size: entry.size ?? 0,
        changed: knownFiles[entry.path] !== entry.sha,
      }),
    )
    .sort((a, b) => comparePaths(a.path, b.path));
  const tooLarge = files.filter((file) => file.size > maxFileBytes);
  if (tooLarge.length > 0) {
    return planFailure(
      repository,
      service,
      "E_SOURCE_FILE_UNUSABLE",
      tooLarge
        .map((file) => `${file.path} is ${file.size} bytes, over the ${maxFileBytes}-byte limit`)
        .join("; "),
      "nothing of the service was applied. Split the file, or move what is not a manifest out of k8s_yaml_dir.",
    );
  }
  const present = new Set(files.map((file) => file.path));
  const deleted = Object.keys(knownFiles)
    .filter((path) => !present.has(path))
    .sort(comparePaths);
  return { ok: true, service: service.name, dir: service.dir, files, deleted };
}

/** blobsToRead lists the distinct blob SHAs a set of plans needs, so a blob shared by services is read once. */
export function blobsToRead(plans: readonly (ServicePlan | ServiceFailure)[]): string[] {
  const shas = new Set<string>();
  for (const plan of plans) {
    if (!plan.ok) continue;
    for (const file of plan.files) shas.add(file.sha);
  }
  return [...shas];
}

/** usersOf names the services whose plans hold any of `shas`: who a failed read of them fails. */
export function usersOf(
  plans: readonly (ServicePlan | ServiceFailure)[],
  shas: ReadonlySet<string>,
): string[] {
  return plans
    .filter((plan) => plan.ok && plan.files.some((file) => shas.has(file.sha)))
    .map((plan) => plan.service);
}

/**
 * finishService is a service's result once its blobs were read: a failure kept as it is, the first error that kept
 * one of its blobs from being read, else its desired files ({@link completeService}).
 */
export function finishService(
  plan: ServicePlan | ServiceFailure,
  read: { readonly texts: ReadonlyMap<string, BlobText>; readonly errors: ReadonlyMap<string, SourceError> },
  repository: string,
): ServiceFiles | ServiceFailure {
  if (!plan.ok) return plan;
  const error = plan.files.map((file) => read.errors.get(file.sha)).find((found) => found !== undefined);
  if (error !== undefined) return { ok: false, service: plan.service, dir: plan.dir, error };
  return completeService(plan, read.texts, repository);
}

/**
 * completeService turns a plan and the blobs read for it into the service's desired files. Every blob of the plan
 * must be in `blobs`; a caller that could not read one reports the service as failed instead. A file that is not
 * UTF-8 text fails the service, naming the file: applying the rest would deploy a set git does not describe.
 */
export function completeService(
  plan: ServicePlan,
  blobs: ReadonlyMap<string, BlobText>,
  repository: string,
): ServiceFiles | ServiceFailure {
  const files: DesiredFile[] = [];
  const binary: string[] = [];
  for (const file of plan.files) {
    const blob = blobs.get(file.sha);
    if (blob === undefined)
      throw new Error(`completeService: blob ${file.sha} for ${file.path} was not read`);
    if (blob.kind === "binary") binary.push(file.path);
    else files.push({ ...file, content: blob.text });
  }
  if (binary.length > 0) {
    return {
      ok: false,
      service: plan.service,
      dir: plan.dir,
      error: new SourceError(
        "E_SOURCE_FILE_UNUSABLE",
        `service ${plan.service}: ${binary.map((path) => `${path} is not UTF-8 text`).join("; ")} in ${repository}; nothing of the service was applied. Fix or remove the file in git.`,
        { repository, services: [plan.service] },
      ),
    };
  }
  const changed = plan.deleted.length > 0 || files.some((file) => file.changed);
  return { ok: true, service: plan.service, dir: plan.dir, changed, files, deleted: plan.deleted };
}
