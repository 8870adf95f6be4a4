import { basename, isAbsolute } from "node:path";
import { pino } from "pino";
import { createServerDiff } from "../applyers/server-diff.js";
import { normalizeDir } from "../common/repo-path.js";
import { ConfigError } from "../controller/config/config-error.js";
import { parseConfig } from "../controller/config/load.js";
import { readConfigFile } from "../controller/config/read-config-file.js";
import type { Config, ServiceConfig } from "../controller/config/types.js";
import { createParseCache } from "../controller/desired/desired-set.js";
import type { DesiredFile } from "../controller/desired/files.js";
import { createReleaseProbe } from "../controller/desired/release-probe.js";
import { DEFAULT_INSTALL_NAMESPACE } from "../controller/desired/render/own-names.js";
import { diffService } from "../controller/report/diff/diff-service.js";
import { CliError, EXIT, usageError } from "./cli-error.js";
import { type CommandInput, type Flags, stringFlag } from "./command.js";
import { type LocalDir, locateDir, readLocalService } from "./local-files.js";

const OUTCOME_EXIT = { "in-sync": EXIT.ok, differs: EXIT.failed, failed: EXIT.usage } as const;

/**
 * renderAndDiff reads the directory at `path`, renders it as the service the flags say, compares it with the cluster
 * and returns the exit status: 0 in sync, 1 changes, 2 anything that kept it from being compared.
 */
export async function renderAndDiff(input: CommandInput, path: string): Promise<number> {
  const where = await locateDir(path);
  const { config, service } = serviceFor(input.flags, where);
  const local = await readLocalService(where, service.dir);
  return OUTCOME_EXIT[await compare(input, config, { ...service, dir: local.dir }, local.files, path)];
}

async function compare(
  input: CommandInput,
  config: Config,
  service: ServiceConfig,
  files: readonly DesiredFile[],
  label: string,
) {
  const { deps } = input;
  const kube = deps.kube(stringFlag(input.flags, "kubeconfig"));
  return diffService(service, label, { commit: "", files }, createParseCache(), {
    config,
    serverDiff: (deps.serverDiff ?? ((request) => createServerDiff({ request })))(kube),
    stdout: deps.stdout,
    stderr: deps.stderr,
    log: pino({ level: "silent" }),
    signal: deps.signal,
    installNamespace: stringFlag(input.flags, "kube-namespace") ?? DEFAULT_INSTALL_NAMESPACE,
    releaseProbe: createReleaseProbe(config.releaseDir ? { releaseDir: config.releaseDir } : {}),
  });
}

/**
 * serviceFor is the config and service DIR is rendered as: with --config, its service named by --service, else its
 * only one, else the one whose k8s_yaml_dir is DIR's path in its checkout; without, a service with every default,
 * named by --service or after DIR.
 */
function serviceFor(flags: Flags, where: LocalDir): { config: Config; service: ServiceConfig } {
  const file = stringFlag(flags, "config");
  const name = stringFlag(flags, "service");
  const config = file === undefined ? defaultsFor(name, where) : loadConfig(file);
  const dir = where.dir;
  const known = config.services.map((service) => service.name);
  const named = name === undefined ? undefined : config.services.find((service) => service.name === name);
  if (name !== undefined && named === undefined)
    throw usageError(`--service ${name}: ${file} has no such service (known: ${known.join(", ")})`, "diff");
  const byDir = config.services.filter((service) => normalizeDir(service.dir) === dir);
  const service =
    named ?? (config.services.length === 1 ? config.services[0] : byDir.length === 1 ? byDir[0] : undefined);
  if (service === undefined)
    throw usageError(
      `${file} has ${known.length} services and none has k8s_yaml_dir ${dir === undefined ? where.path : dir || "."}: name one with --service (known: ${known.join(", ")})`,
      "diff",
    );
  return { config, service };
}

function loadConfig(file: string): Config {
  try {
    return readConfigFile(file).config;
  } catch (error: unknown) {
    if (error instanceof ConfigError) throw new CliError(EXIT.usage, error.message, { cause: error });
    throw error;
  }
}

/**
 * defaultsFor is a config of one service with every default, through the real parser so no field is missed. Outside
 * a checkout its k8s_yaml_dir is --path as given (when it stays below the working directory): the repository path a
 * sync run from the repository's root would name the files by.
 */
function defaultsFor(name: string | undefined, where: LocalDir): Config {
  const dirName = basename(where.absolute);
  const given = normalizeDir(where.path);
  const dir = isAbsolute(where.path) || given === "" || given.split("/").includes("..") ? dirName : given;
  const text = `github_configs: { local: { repo_owner: local, repo_name: local } }
services: [{ name: ${JSON.stringify(name ?? dirName)}, github: local, k8s_yaml_dir: ${JSON.stringify(dir)} }]
`;
  try {
    return parseConfig(text, "--service");
  } catch (error: unknown) {
    if (!(error instanceof ConfigError)) throw error;
    if (name === undefined)
      throw usageError(
        `the directory's name "${dirName}" is not a service name; give one with --service`,
        "diff",
      );
    throw usageError(error.message, "diff");
  }
}
