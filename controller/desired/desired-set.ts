import { createHash } from "node:crypto";
import { basename, dirname } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { LruCache } from "../../common/lru.js";
import { normalizeDir } from "../../common/repo-path.js";
import { DesiredSetError } from "./errors.js";
import type { DesiredFile, FileFailure } from "./files.js";
import { DEFAULT_KUSTOMIZE_OPTIONS, type KustomizeOptions, kustomizeBuild } from "./kustomize/build.js";
import { kustomizationFileIn } from "./kustomize/closure.js";
import { KUSTOMIZATION_NAMES } from "./kustomize/references.js";
import { formatMiB, type ParsedFile, parseManifests } from "./render/parse.js";
import type { ConfigFile, SourcedObject } from "./render/types.js";

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

/** BuildOptions say where a service's directory is and how a kustomization in it is built. */
export interface BuildOptions {
  /** dir is the service's `k8s_yaml_dir`; a kustomization there makes the set kustomize's build of it. */
  readonly dir: string;
  readonly kustomize?: KustomizeOptions;
  /** signal stops a kustomize build in flight; the build then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

const KUSTOMIZATION_FILES = new Set<string>(KUSTOMIZATION_NAMES);

/**
 * buildDesiredSet parses every file of a service together; when the service's directory holds a kustomization, the
 * set is instead what `kubectl kustomize` builds from the files (see {@link buildKustomized}). Any file that cannot be used fails the whole set, each
 * named with its reason: applying the rest would deploy something git does not describe, and a ConfigMap merged from
 * several files would lose keys. A file over its node or size budget is one such file (the others are still parsed
 * and reported); a service over MAX_SERVICE_BYTES fails naming the budget and its largest files. Files are parsed one
 * event-loop turn apart, so `/healthz` and the rest of the controller are answered between files. Parsed objects are
 * shared with the cache: callers must not change them.
 */
export async function buildDesiredSet(
  files: readonly Pick<DesiredFile, "path" | "sha" | "content">[],
  cache: ParseCache,
  options: BuildOptions,
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
  const dir = normalizeDir(options.dir);
  let root: string | undefined;
  try {
    root = kustomizationFileIn(dir, files);
  } catch (error: unknown) {
    return { ...empty, failures: [kustomizeFailure(error)] };
  }
  if (root !== undefined) return buildKustomized(dir, files, cache, options);
  const expanded: { path: string; bytes: number }[] = [];
  for (const [i, file] of files.entries()) {
    if (i > 0) await nextTurn();
    if (KUSTOMIZATION_FILES.has(basename(file.path))) {
      failures.push({
        path: file.path,
        code: "E_KUSTOMIZE_INVALID",
        error: `a kustomization below the service's directory is not built, only one in k8s_yaml_dir itself; nothing of the service was applied. Give ${dirname(file.path)} a service of its own, or reference it from a kustomization in ${dir === "" ? "the repository root" : dir}.`,
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
        ...(error instanceof DesiredSetError
          ? { error: error.reason, code: error.code }
          : { error: (error as Error).message }),
      });
    }
  }
  const overExpanded = overBudget("expanded", expanded);
  if (overExpanded) return { ...empty, failures: [...failures, overExpanded] };
  return { set: { objects, configFiles }, failures };
}

/**
 * buildKustomized is the set of a service whose directory holds a kustomization: kustomize's build of it, parsed
 * with the same budgets as a file, every object attributed to the service's kustomization file. A build that cannot
 * run or fails is the service's one failure, with kustomize's own message; an aborted build rejects. The parse is
 * cached by the output's hash, so a reconcile that builds the same set does not parse it again.
 */
async function buildKustomized(
  dir: string,
  files: readonly Pick<DesiredFile, "path" | "content">[],
  cache: ParseCache,
  options: BuildOptions,
): Promise<{ set: DesiredSet; failures: FileFailure[] }> {
  try {
    const built = await kustomizeBuild(
      dir,
      files,
      options.kustomize ?? DEFAULT_KUSTOMIZE_OPTIONS,
      options.signal,
    );
    const sha = createHash("sha256").update(built.text).digest("hex");
    const parsed = cache.parse({ path: built.root, sha, content: built.text });
    return { set: { objects: parsed.objects, configFiles: parsed.configFiles }, failures: [] };
  } catch (error: unknown) {
    if (options.signal?.aborted) throw error;
    return { set: { objects: [], configFiles: [] }, failures: [kustomizeFailure(error)] };
  }
}

/** kustomizeFailure is a kustomize or parse error as the failure of the file it names. */
function kustomizeFailure(error: unknown): FileFailure {
  if (error instanceof DesiredSetError) return { path: error.subject, code: error.code, error: error.reason };
  throw error;
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
