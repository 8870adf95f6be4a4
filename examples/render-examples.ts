import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseConfig } from "../controller/config/load.js";
import type { Config, ServiceConfig } from "../controller/config/types.js";
import { initScriptPath } from "../controller/desired/release-probe.js";
import {
  type ConfigFile,
  type KubeObject,
  type NamespacePolicy,
  parseManifests,
  renderService,
  type SourcedObject,
} from "../controller/desired/render/index.js";
import { comparePaths, isManifestPath } from "../controller/source/order.js";

/** EXAMPLES_DIR is this directory: the example config, GitOps repository and release tree. */
export const EXAMPLES_DIR = fileURLToPath(new URL(".", import.meta.url));
/** EXAMPLE_CONFIG_PATH is the config that points at the example repository. */
export const EXAMPLE_CONFIG_PATH = join(EXAMPLES_DIR, "gitops-config.yaml");
/** EXAMPLE_REPO_DIR is the root of the example GitOps repository: `k8s_yaml_dir`s are relative to it. */
export const EXAMPLE_REPO_DIR = join(EXAMPLES_DIR, "gitops-repo");

/** loadExampleConfig parses examples/gitops-config.yaml as the controller does at start-up. */
export function loadExampleConfig(): Config {
  return parseConfig(readFileSync(EXAMPLE_CONFIG_PATH, "utf8"), EXAMPLE_CONFIG_PATH);
}

/** ServiceFile is one manifest file of a service directory, with its path as the controller sees it in git. */
export interface ServiceFile {
  path: string;
  text: string;
}

/**
 * readServiceFiles lists a service's files the way the GitHub source does: every .yaml/.yml/.json file anywhere
 * below `k8s_yaml_dir`, with repository-relative paths, in code-unit order.
 */
export function readServiceFiles(service: ServiceConfig, repoDir = EXAMPLE_REPO_DIR): ServiceFile[] {
  const root = join(repoDir, service.dir);
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && isManifestPath(entry.name))
    .map((entry) => relative(repoDir, join(entry.parentPath, entry.name)).split("\\").join("/"))
    .sort(comparePaths)
    .map((path) => ({ path, text: readFileSync(join(repoDir, path), "utf8") }));
}

/** RenderExampleOptions override what the config would decide, e.g. a throwaway namespace in tests. */
export interface RenderExampleOptions {
  /** namespace replaces the service's namespace (and the allowlist, so the policy still holds). */
  namespace?: string;
  downloadBaseUrl?: string;
}

/**
 * renderExample parses and renders one service of the example config with controller/desired/render, the same inputs the
 * controller's sync passes: the service's namespace (else "default"), its stateless flag, the config's
 * download_base_url and namespace allowlist.
 */
export function renderExample(
  config: Config,
  service: ServiceConfig,
  options: RenderExampleOptions = {},
): KubeObject[] {
  const objects: SourcedObject[] = [];
  const configFiles: ConfigFile[] = [];
  for (const file of readServiceFiles(service)) {
    const parsed = parseManifests(file.path, file.text);
    objects.push(...parsed.objects);
    configFiles.push(...parsed.configFiles);
  }
  const namespace = options.namespace ?? service.namespace ?? "default";
  const policy: NamespacePolicy | undefined = options.namespace
    ? { namespaces: [options.namespace] }
    : config.namespaces
      ? { namespaces: config.namespaces }
      : undefined;
  const downloadBaseUrl = options.downloadBaseUrl ?? config.downloadBaseUrl;
  return renderService({
    service: service.name,
    objects,
    configFiles,
    defaultNamespace: namespace,
    // `auto` as the controller decides it from the example's release tree (release_dir is relative to the checkout).
    stateless:
      service.stateless === "auto"
        ? config.releaseDir !== undefined &&
          existsSync(join(EXAMPLES_DIR, "..", config.releaseDir, initScriptPath(service.name)))
        : service.stateless,
    ...(downloadBaseUrl ? { downloadBaseUrl } : {}),
    ...(policy
      ? { policy: { ...policy, ...(config.clusterKinds ? { clusterKinds: config.clusterKinds } : {}) } }
      : {}),
  });
}
