import { basename } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { RenderError } from "../render/errors.js";
import { formatMiB, type ParsedFile, parseManifests } from "../render/parse.js";
import type { ConfigFile, SourcedObject } from "../render/types.js";
import { LruCache } from "../source/lru.js";
import type { DesiredFile } from "../source/source.js";
import type { FileFailure } from "./result.js";

/** DesiredSet is a service's whole directory at one commit, parsed: objects to apply and configuration files. */
export interface DesiredSet {
  readonly objects: readonly SourcedObject[];
  readonly configFiles: readonly ConfigFile[];
}

/**
 * ParseCache keeps parsed files by blob SHA and path, so a file that did not change is not parsed again; the path
 * is part of the key because it decides how a blob is read (`.json`) and what its objects are annotated with.
 */
export interface ParseCache {
  parse(file: Pick<DesiredFile, "path" | "sha" | "content">): ParsedFile;
}

/** createParseCache holds up to `maxBytes` of source text's worth of parsed files (default 32 MiB). */
export function createParseCache(maxBytes = 32 * 1024 * 1024): ParseCache {
  const cache = new LruCache<string, { parsed: ParsedFile; size: number }>({
    maxWeight: maxBytes,
    weigh: (entry) => entry.size,
  });
  return {
    parse(file) {
      const key = `${file.sha}\n${file.path}`;
      const cached = cache.get(key);
      if (cached) return cached.parsed;
      const parsed = parseManifests(file.path, file.content);
      cache.set(key, { parsed, size: file.content.length });
      return parsed;
    },
  };
}

/**
 * MAX_SERVICE_BYTES is the size budget of one service: its files' source, and then their size once aliases are
 * expanded (see MAX_NODES_PER_FILE), may not add up to more than 64 MiB, checked before anything is rendered.
 */
export const MAX_SERVICE_BYTES = 64 * 1024 * 1024;

const KUSTOMIZATION_FILES = new Set(["kustomization.yaml", "kustomization.yml"]);

/**
 * buildDesiredSet parses every file of a service together. Any file that cannot be used fails the whole set, each
 * named with its reason: applying the rest would deploy something git does not describe, and a ConfigMap merged from
 * several files would lose keys. A file over its node or size budget is one such file (the others are still parsed
 * and reported); a service over MAX_SERVICE_BYTES fails naming the budget and its largest files. Files are parsed one
 * event-loop turn apart, so `/healthz` and the rest of the controller are answered between files. Parsed objects are
 * shared with the cache: callers must not change them.
 */
export async function buildDesiredSet(
  files: readonly Pick<DesiredFile, "path" | "sha" | "content">[],
  cache: ParseCache,
): Promise<{ set: DesiredSet; failures: FileFailure[] }> {
  const objects: SourcedObject[] = [];
  const configFiles: ConfigFile[] = [];
  const failures: FileFailure[] = [];
  const empty = { set: { objects: [], configFiles: [] }, failures };
  // Source first: a service far over its budget is refused without parsing any of it.
  const overSource = overBudget(
    "source",
    files.map((file) => ({ path: file.path, bytes: Buffer.byteLength(file.content) })),
  );
  if (overSource) return { ...empty, failures: [overSource] };
  const expanded: { path: string; bytes: number }[] = [];
  for (const [i, file] of files.entries()) {
    if (i > 0) await nextTurn();
    if (KUSTOMIZATION_FILES.has(basename(file.path).toLowerCase())) {
      failures.push({
        path: file.path,
        code: "E_KUSTOMIZE_UNSUPPORTED",
        error:
          "the directory is a kustomize overlay, which simple-gitops does not build yet; nothing of the service was applied. Point k8s_yaml_dir at plain manifests (e.g. the output of `kubectl kustomize`).",
      });
      continue;
    }
    try {
      const parsed = cache.parse(file);
      objects.push(...parsed.objects);
      configFiles.push(...parsed.configFiles);
      expanded.push({ path: file.path, bytes: parsed.expanded.bytes });
    } catch (error: unknown) {
      failures.push({
        path: file.path,
        ...(error instanceof RenderError
          ? { error: error.reason, code: error.code }
          : { error: (error as Error).message }),
      });
    }
  }
  const overExpanded = overBudget("expanded", expanded);
  if (overExpanded) return { ...empty, failures: [...failures, overExpanded] };
  return { set: { objects, configFiles }, failures };
}

/** overBudget is the failure of a service whose files add up to more than MAX_SERVICE_BYTES, if they do. */
function overBudget(
  what: "source" | "expanded",
  sizes: readonly { path: string; bytes: number }[],
): FileFailure | undefined {
  const total = sizes.reduce((sum, size) => sum + size.bytes, 0);
  if (total <= MAX_SERVICE_BYTES) return undefined;
  const largest = [...sizes].sort((a, b) => b.bytes - a.bytes).slice(0, 3);
  const measured = what === "source" ? "source files" : "files once aliases are expanded";
  return {
    path: largest[0]?.path ?? "",
    code: "E_SERVICE_TOO_LARGE",
    error: `refused: the service's ${measured} add up to ${formatMiB(total)}, over the ${formatMiB(MAX_SERVICE_BYTES)} size budget per service; nothing was rendered. Largest: ${largest.map((size) => `${size.path} (${formatMiB(size.bytes)})`).join(", ")}`,
  };
}
