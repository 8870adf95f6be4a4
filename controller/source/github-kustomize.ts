import { normalizeDir } from "../../common/repo-path.js";
import { kustomizationFileIn } from "../desired/kustomize/closure.js";
import type { SourceError } from "./errors.js";
import type { ReadBlobs } from "./github-blob-input.js";
import { planClosure } from "./github-kustomize-closure.js";
import { closureFailure, type FileEntry, fileEntry, planFiles, planned } from "./github-kustomize-files.js";
import { prefetchOf } from "./github-kustomize-prefetch.js";
import { PollBlobs } from "./github-poll-blobs.js";
import type { RepoListing } from "./github-tree.js";
import { type BlobText, isRegularFile, planService, type ServicePlan } from "./plan.js";
import type { KnownState, ServiceFailure, SourceService } from "./source.js";

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

type Kustomized = { readonly at: number; readonly service: SourceService; readonly dir: string };

/**
 * planPoll plans every service of a poll and reads its blobs. A service whose directory holds a kustomization gets
 * as files the closure of its build ({@link planClosure}): its kustomization, the bases and files that names,
 * wherever they sit in the repository; the rest of its directory is not its files. The kustomization texts the
 * closure needs are read with the other services' blobs in one read, with the files of every kustomization
 * directory as a prefetch (kept only when that read is a tarball), so a first sync costs one tarball; what is still
 * missing once the closures are known is read in one more read, from the blob cache when nothing changed. A closure
 * error fails only its service.
 */
export async function planPoll(input: PollPlanInput): Promise<PollPlan> {
  const { plans, kustomized } = seedPlans(input);
  if (kustomized.length === 0) return { plans, ...(await input.readBlobs(plans)) };

  // Only a poll with a kustomized service pays for walking the whole tree (up to 100 000 entries).
  const tree = input.listing.tree?.filter(isRegularFile).map(fileEntry);
  // With the tree truncated, a closure sees only its own directory; a base elsewhere is then missing to kustomize.
  const entries = tree ?? kustomized.flatMap(({ dir }) => dirEntries(input.listing, dir));
  const prefetch = tree === undefined ? [] : prefetchOf(tree, input.maxFileBytes);
  const blobs = new PollBlobs(input.readBlobs, await input.readBlobs(plans, prefetch));
  const closure = { ...input, entries, byPath: new Map(entries.map((entry) => [entry.path, entry])), blobs };
  const closures = await Promise.all(kustomized.map(({ service }) => planClosure(closure, service)));
  for (const [i, plan] of closures.entries()) plans[(kustomized[i] as Kustomized).at] = plan;
  await blobs.readUnread(kustomized.map(({ at }) => plans[at]));
  return { plans, texts: blobs.texts, errors: blobs.errors };
}

/**
 * seedPlans plans every service that is not kustomized, and gives each kustomized one its kustomization alone, to
 * be read with everything else until its closure is known.
 */
function seedPlans(input: PollPlanInput): {
  plans: (ServicePlan | ServiceFailure)[];
  kustomized: Kustomized[];
} {
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
          const seed = fileEntry(entry);
          return planFiles(service, seed.size > maxFileBytes ? [] : [planned(seed)]);
        }
      } catch (error: unknown) {
        return closureFailure(repository, service, error);
      }
    }
    return planService({ repository, service, listing, known: input.known[service.name], maxFileBytes });
  });
  return { plans, kustomized };
}

/** dirEntries are the regular files listed under one directory (none when it does not exist). */
function dirEntries(listing: RepoListing, dir: string): FileEntry[] {
  const found = listing.dirs.get(dir);
  return found?.exists ? found.entries.filter(isRegularFile).map(fileEntry) : [];
}
