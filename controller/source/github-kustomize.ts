import { basename, posix } from "node:path";
import { normalizeDir } from "../../common/repo-path.js";
import { isKustomizeError } from "../desired/errors.js";
import { kustomizationFileIn, kustomizeClosure } from "../desired/kustomize/closure.js";
import { KUSTOMIZATION_NAMES } from "../desired/kustomize/references.js";
import { SourceError } from "./errors.js";
import type { BlobsRead } from "./github-blobs.js";
import type { RepoListing } from "./github-tree.js";
import {
  type BlobText,
  isRegularFile,
  type PlannedFile,
  planEntries,
  planFailure,
  planService,
  type ServicePlan,
} from "./plan.js";
import type { KnownState, ServiceFailure, SourceService } from "./source.js";

/** ReadBlobs reads the blobs of some plans (and, when it reads a tarball anyway, of `prefetch`) for one poll. */
export type ReadBlobs = (
  plans: readonly (ServicePlan | ServiceFailure)[],
  prefetch?: readonly PlannedFile[],
) => Promise<BlobsRead>;

/** PollPlanInput is what one poll knows before reading any blob. */
export interface PollPlanInput {
  readonly repository: string;
  readonly services: readonly SourceService[];
  readonly listing: RepoListing;
  readonly known: Readonly<Record<string, KnownState>>;
  readonly maxFileBytes: number;
  readonly readBlobs: ReadBlobs;
}

/** PollPlan is every service's plan (or failure) and every blob read for them, as text or as the error that kept it. */
export interface PollPlan {
  readonly plans: readonly (ServicePlan | ServiceFailure)[];
  readonly texts: ReadonlyMap<string, BlobText>;
  readonly errors: ReadonlyMap<string, SourceError>;
}

/**
 * PREFETCH_MAX_BYTES bounds what a poll keeps from a tarball on the guess that a kustomization will need it; past it
 * only the kustomization files themselves are kept and the rest is read blob by blob once the closure is known.
 */
export const PREFETCH_MAX_BYTES = 32 * 1024 * 1024;

type FileEntry = { readonly path: string; readonly sha: string; readonly size: number };
type Kustomized = { readonly at: number; readonly service: SourceService; readonly dir: string };

/**
 * planPoll plans every service of a poll and reads its blobs. A service whose directory holds a kustomization gets
 * as files the closure of its build ({@link kustomizeClosure}): its kustomization, the bases and files that names,
 * wherever they sit in the repository; the rest of its directory is not its files. The kustomization texts the
 * closure needs are read with the other services' blobs in one read, with the files of every kustomization
 * directory as a prefetch (kept only when that read is a tarball), so a first sync costs one tarball; what is still
 * missing once the closures are known is read in one more read, from the blob cache when nothing changed. A closure
 * error fails only its service.
 */
export async function planPoll(input: PollPlanInput): Promise<PollPlan> {
  const { repository, maxFileBytes } = input;
  const kustomized: Kustomized[] = [];
  const plans = input.services.map((service, at): ServicePlan | ServiceFailure => {
    const dir = normalizeDir(service.dir);
    const listing = input.listing.dirs.get(dir) ?? { exists: false, reason: "missing" };
    if (listing.exists) {
      try {
        const files = listing.entries.filter(isRegularFile);
        const root = kustomizationFileIn(dir, files);
        const entry = files.find((file) => file.path === root);
        if (entry !== undefined) {
          kustomized.push({ at, service, dir });
          // Until its closure is known, the service's plan is its kustomization: read with everything else.
          const seed = fileEntry(entry);
          return planOf(service, seed.size > maxFileBytes ? [] : [planned(seed)]);
        }
      } catch (error: unknown) {
        return closureFailure(repository, service, error);
      }
    }
    return planService({ repository, service, listing, known: input.known[service.name], maxFileBytes });
  });
  if (kustomized.length === 0) {
    const read = await input.readBlobs(plans);
    return { plans, ...read };
  }

  // Only a poll with a kustomized service pays for walking the whole tree (up to 100 000 entries).
  const tree = input.listing.tree?.filter(isRegularFile).map(fileEntry);
  // With the tree truncated, a closure sees only its own directory; a base elsewhere is then missing to kustomize.
  const entries =
    tree ??
    kustomized.flatMap(({ dir }) => {
      const listing = input.listing.dirs.get(dir);
      return listing?.exists ? listing.entries.filter(isRegularFile).map(fileEntry) : [];
    });
  const byPath = new Map(entries.map((entry) => [entry.path, entry]));
  const read = await input.readBlobs(plans, tree === undefined ? [] : prefetchOf(tree, maxFileBytes));
  const texts = new Map(read.texts);
  const errors = new Map(read.errors);
  const merge = (more: BlobsRead) => {
    for (const [sha, text] of more.texts) texts.set(sha, text);
    for (const [sha, error] of more.errors) errors.set(sha, error);
  };
  // Services sharing a base read its kustomization once.
  const inflight = new Map<string, Promise<void>>();

  const planKustomized = async ({ service }: Kustomized): Promise<ServicePlan | ServiceFailure> => {
    const readText = async (path: string): Promise<string> => {
      const entry = byPath.get(path);
      if (entry === undefined) throw new Error(`planPoll: ${path} is not in the listing`);
      const unusable = (what: string) =>
        planFailure(
          repository,
          service,
          "E_SOURCE_FILE_UNUSABLE",
          what,
          "nothing of the service was applied. Fix the file in git.",
        ).error;
      if (entry.size > maxFileBytes)
        throw unusable(`${path} is ${entry.size} bytes, over the ${maxFileBytes}-byte limit`);
      if (!texts.has(entry.sha) && !errors.has(entry.sha)) {
        let reading = inflight.get(entry.sha);
        if (reading === undefined) {
          reading = input.readBlobs([planOf(service, [planned(entry)])]).then(merge);
          inflight.set(entry.sha, reading);
        }
        await reading;
      }
      const error = errors.get(entry.sha);
      if (error !== undefined) throw error;
      const blob = texts.get(entry.sha);
      if (blob?.kind !== "text") throw unusable(`${path} is not UTF-8 text`);
      return blob.text;
    };
    try {
      const closure = await kustomizeClosure(normalizeDir(service.dir), entries, readText);
      const files = (closure?.paths ?? []).flatMap((path) => byPath.get(path) ?? []);
      return planEntries({
        repository,
        service,
        entries: files,
        known: input.known[service.name],
        maxFileBytes,
      });
    } catch (error: unknown) {
      return closureFailure(repository, service, error);
    }
  };
  for (const [i, plan] of (await Promise.all(kustomized.map(planKustomized))).entries())
    plans[(kustomized[i] as Kustomized).at] = plan;

  const rest = kustomized.flatMap(({ at }) => {
    const plan = plans[at];
    if (!plan?.ok) return [];
    const unread = plan.files.filter((file) => !texts.has(file.sha) && !errors.has(file.sha));
    return unread.length === 0 ? [] : [{ ...plan, files: unread }];
  });
  if (rest.length > 0) merge(await input.readBlobs(rest));
  return { plans, texts, errors };
}

/**
 * prefetchOf is every file of every kustomization directory of the tree (kustomization files alone when that is
 * over PREFETCH_MAX_BYTES): where bases, patches and generator files usually sit.
 */
function prefetchOf(tree: readonly FileEntry[], maxFileBytes: number): PlannedFile[] {
  const names = new Set<string>(KUSTOMIZATION_NAMES);
  const isKustomization = (entry: FileEntry) => names.has(basename(entry.path));
  const dirs = new Set(tree.filter(isKustomization).map((entry) => parentOf(entry.path)));
  const inKustomizationDir = (path: string) => {
    for (let dir = parentOf(path); ; dir = parentOf(dir)) {
      if (dirs.has(dir)) return true;
      if (dir === "") return false;
    }
  };
  const files = tree.filter((entry) => entry.size <= maxFileBytes && inKustomizationDir(entry.path));
  const bytes = files.reduce((sum, entry) => sum + entry.size, 0);
  return (bytes <= PREFETCH_MAX_BYTES ? files : files.filter(isKustomization)).map(planned);
}

function parentOf(path: string): string {
  const parent = posix.dirname(path);
  return parent === "." ? "" : parent;
}

function fileEntry(entry: { path: string; sha: string; size?: number }): FileEntry {
  return { path: entry.path, sha: entry.sha, size: entry.size ?? 0 };
}

function planned(entry: FileEntry): PlannedFile {
  return { ...entry, changed: true };
}

function planOf(service: SourceService, files: readonly PlannedFile[]): ServicePlan {
  return { ok: true, service: service.name, dir: service.dir, files, deleted: [] };
}

/**
 * closureFailure is a closure that could not be made: a blob that could not be read, or a kustomization refused, its
 * code and message kept as the closure gave them.
 */
function closureFailure(repository: string, service: SourceService, error: unknown): ServiceFailure {
  const fail = (cause: SourceError): ServiceFailure => ({
    ok: false,
    service: service.name,
    dir: service.dir,
    error: cause,
  });
  if (error instanceof SourceError) return fail(error);
  if (!isKustomizeError(error)) throw error;
  return fail(
    new SourceError(error.code, error.message, { repository, services: [service.name] }, { cause: error }),
  );
}
