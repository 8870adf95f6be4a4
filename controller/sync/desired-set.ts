import { basename } from "node:path";
import { RenderError } from "../render/errors.js";
import { type ParsedFile, parseManifests } from "../render/parse.js";
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

const KUSTOMIZATION_FILES = new Set(["kustomization.yaml", "kustomization.yml"]);

/**
 * buildDesiredSet parses every file of a service together. Any file that cannot be used fails the whole set, each
 * named with its reason: applying the rest would deploy something git does not describe, and a ConfigMap merged from
 * several files would lose keys. Parsed objects are shared with the cache: callers must not change them.
 */
export function buildDesiredSet(
  files: readonly Pick<DesiredFile, "path" | "sha" | "content">[],
  cache: ParseCache,
): { set: DesiredSet; failures: FileFailure[] } {
  const objects: SourcedObject[] = [];
  const configFiles: ConfigFile[] = [];
  const failures: FileFailure[] = [];
  for (const file of files) {
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
    } catch (error: unknown) {
      failures.push({
        path: file.path,
        ...(error instanceof RenderError
          ? { error: error.reason, code: error.code }
          : { error: (error as Error).message }),
      });
    }
  }
  return { set: { objects, configFiles }, failures };
}
