import { isKustomizeError } from "../desired/errors.js";
import { SourceError } from "./errors.js";
import type { PlannedFile, ServicePlan } from "./plan.js";
import type { ServiceFailure, SourceService } from "./source.js";

/** FileEntry is a regular file of the listing as a kustomize closure sees it: its path, blob and size. */
export type FileEntry = { readonly path: string; readonly sha: string; readonly size: number };

/** fileEntry is a tree entry as a FileEntry (a size GitHub did not give counts as 0). */
export function fileEntry(entry: { path: string; sha: string; size?: number }): FileEntry {
  return { path: entry.path, sha: entry.sha, size: entry.size ?? 0 };
}

/** planned is a file to read before its closure is known: reported as changed, since it is read anyway. */
export function planned(entry: FileEntry): PlannedFile {
  return { ...entry, changed: true };
}

/** planFiles is a plan of exactly `files`, deleting nothing: what is read for a service before its closure is known. */
export function planFiles(service: SourceService, files: readonly PlannedFile[]): ServicePlan {
  return { ok: true, service: service.name, dir: service.dir, files, deleted: [] };
}

/**
 * closureFailure is a closure that could not be made: a blob that could not be read, or a kustomization refused, its
 * code and message kept as the closure gave them.
 */
export function closureFailure(repository: string, service: SourceService, error: unknown): ServiceFailure {
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
