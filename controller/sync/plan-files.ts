import { parseManifests } from "../render/parse.js";
import type { ConfigFile, SourcedObject } from "../render/types.js";
import type { ServiceFiles } from "../source/source.js";
import type { ServiceState } from "../state/state.js";
import type { FileFailure } from "./result.js";

/** CONFIG_OBJECTS_KEY is where a service's state keeps the objects its configuration files render to. */
export const CONFIG_OBJECTS_KEY = "(service config)";

/** FilePlan is what one poll asks of one service: the objects of its changed files and its configuration. */
export interface FilePlan {
  /** Changed files that parsed, by path, with the blob SHA to record when they apply. */
  readonly changed: ReadonlyMap<string, { readonly sha: string; readonly objects: readonly SourcedObject[] }>;
  /** Changed files that did not parse: failed now, retried on the next poll. */
  readonly unparsable: readonly FileFailure[];
  /** The configuration files after this change; `undefined` when no configuration file changed. */
  readonly configFiles?: readonly ConfigFile[];
  /** The blob SHAs of the changed configuration files, to record when the ConfigMap applies. */
  readonly configShas: ReadonlyMap<string, string>;
  readonly deleted: readonly string[];
  readonly skipped: readonly { readonly path: string; readonly sha: string }[];
}

/**
 * planFiles parses a service's changed files and works out its configuration set. Configuration `.json` files
 * become one ConfigMap, so when any of them changes, appears or goes, the whole set is rebuilt from the new ones
 * and those kept in the state.
 */
export function planFiles(files: ServiceFiles, state: ServiceState): FilePlan {
  const changed = new Map<string, { sha: string; objects: SourcedObject[] }>();
  const unparsable: FileFailure[] = [];
  const changedConfig = new Map<string, ConfigFile>();
  const configShas = new Map<string, string>();
  const skipped: { path: string; sha: string }[] = [];
  for (const file of files.files) {
    if (file.state === "skipped") skipped.push({ path: file.path, sha: file.sha });
    if (file.state !== "changed") continue;
    try {
      const parsed = parseManifests(file.path, file.content);
      for (const config of parsed.configFiles) {
        changedConfig.set(config.path, config);
        configShas.set(config.path, file.sha);
      }
      if (parsed.configFiles.length === 0) changed.set(file.path, { sha: file.sha, objects: parsed.objects });
    } catch (error: unknown) {
      unparsable.push({ path: file.path, error: (error as Error).message });
    }
  }
  const configGone = [...files.deleted, ...changed.keys()].some((path) => path in state.configFiles);
  const plan: FilePlan = { changed, unparsable, configShas, deleted: files.deleted, skipped };
  if (changedConfig.size === 0 && !configGone) return plan;
  const gone = new Set([...files.deleted, ...changed.keys()]);
  const configFiles = new Map<string, ConfigFile>();
  for (const [path, text] of Object.entries(state.configFiles)) {
    if (!gone.has(path)) configFiles.set(path, { path, name: path.slice(path.lastIndexOf("/") + 1), text });
  }
  for (const [path, file] of changedConfig) configFiles.set(path, file);
  return { ...plan, configFiles: [...configFiles.values()].sort((a, b) => a.path.localeCompare(b.path)) };
}
