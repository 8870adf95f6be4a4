import { normalizeDir } from "../../common/repo-path.js";
import { kustomizeClosure } from "../desired/kustomize/closure.js";
import { closureFailure, type FileEntry, planned } from "./github-kustomize-files.js";
import type { PollBlobs } from "./github-poll-blobs.js";
import { planEntries, planFailure, type ServicePlan } from "./plan.js";
import type { KnownState, ServiceFailure, SourceService } from "./source.js";

/** ClosureInput is what every kustomized service of one poll plans its closure from. */
export interface ClosureInput {
  readonly repository: string;
  readonly maxFileBytes: number;
  readonly known: Readonly<Record<string, KnownState>>;
  /** The files a closure may name: the whole tree, or with the tree truncated the kustomized directories. */
  readonly entries: readonly FileEntry[];
  readonly byPath: ReadonlyMap<string, FileEntry>;
  readonly blobs: PollBlobs;
}

/**
 * planClosure plans a kustomized service as the closure of its build ({@link kustomizeClosure}), reading the
 * kustomization texts it walks through `blobs`. A closure that cannot be made fails only this service.
 */
export async function planClosure(
  input: ClosureInput,
  service: SourceService,
): Promise<ServicePlan | ServiceFailure> {
  const { repository, maxFileBytes, byPath } = input;
  try {
    const closure = await kustomizeClosure(normalizeDir(service.dir), input.entries, (path) =>
      closureText(input, service, path),
    );
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
}

/** closureText is the text of a file the closure of `service` reads, read once per poll; it throws what keeps it. */
async function closureText(input: ClosureInput, service: SourceService, path: string): Promise<string> {
  const { repository, maxFileBytes, blobs } = input;
  const entry = input.byPath.get(path);
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
  await blobs.read(service, planned(entry));
  const error = blobs.errors.get(entry.sha);
  if (error !== undefined) throw error;
  const blob = blobs.texts.get(entry.sha);
  if (blob?.kind !== "text") throw unusable(`${path} is not UTF-8 text`);
  return blob.text;
}
