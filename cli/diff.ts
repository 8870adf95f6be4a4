import { basename, resolve } from "node:path";
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
import {
  CliError,
  type Command,
  type CommandInput,
  EXIT,
  type Flags,
  stringFlag,
  usageError,
} from "./command.js";
import { readLocalService } from "./local-files.js";

const OUTCOME_EXIT = { "in-sync": EXIT.ok, differs: EXIT.failed, failed: EXIT.usage } as const;

/** diffCommand is `diff --path DIR`: a local directory rendered as a sync would, compared with the live cluster. */
export const diffCommand: Command = {
  name: "diff",
  usage: "diff --path DIR",
  summary: "render a local directory as a sync would, diff it with the cluster",
  help: `Usage: simple-gitops diff --path DIR [--service NAME] [--config FILE] [--kubeconfig FILE] [--kube-namespace NS]

Render DIR exactly as a sync of it would (its .yaml, .yml and .json files every level down, or the kustomize build
of its kustomization, then the service's namespace, labels, stateless bootstrap and allowlist) and compare each
object with the live cluster by a server-side dry-run apply, as the controller's --diff does: each object that would
change is printed on stdout as a unified diff (Secret values masked), then one summary line on stderr. Nothing is
applied. The controller is not asked: the cluster is read with your kubeconfig. Like flux diff kustomization --path.

  --path DIR            the directory, as a service's k8s_yaml_dir; a kustomization's bases outside it are read
                        when DIR is inside a git checkout (the checkout's root is the repository root)
  --config FILE         a gitops-config.yaml: the service's namespace, stateless setting, the namespaces allowlist,
                        cluster_kinds, release_dir and download_base_url come from it (no token is read)
  --service NAME        the service of --config to render DIR as (needed when the config has several and none has
                        DIR's path as its k8s_yaml_dir); without --config, the name the objects are labelled with
                        (default: DIR's name) and the defaults of a service otherwise
  --kubeconfig FILE     the kubeconfig to use (default: $KUBECONFIG, then ~/.kube/config)
  --kube-namespace NS   the controller's namespace, whose own objects a sync refuses to touch (default default)
  -h, --help            this help

Exit status: 0 no changes; 1 changes; 2 errors (bad usage or config, a file or render a sync would refuse, the
cluster not reached, an object the server's dry run refused).`,
  flags: ["path", "service", "config", "kubeconfig", "kube-namespace"],
  async run(input) {
    if (input.args.length > 0)
      throw usageError(`diff takes no argument: give the directory as --path DIR`, "diff");
    const path = stringFlag(input.flags, "path");
    if (path === undefined || path === "")
      throw usageError("diff needs --path DIR, the directory to render", "diff");
    const local = await readLocalService(path);
    const { config, service } = serviceFor(input.flags, local.dir, basename(resolve(path)));
    return OUTCOME_EXIT[await compare(input, config, { ...service, dir: local.dir }, local.files, path)];
  },
};

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
 * only one, else the one whose k8s_yaml_dir is DIR; without, a service with every default, named by --service or
 * after DIR.
 */
function serviceFor(flags: Flags, dir: string, dirName: string): { config: Config; service: ServiceConfig } {
  const file = stringFlag(flags, "config");
  const name = stringFlag(flags, "service");
  const config = file === undefined ? defaultsFor(name ?? dirName, name === undefined) : loadConfig(file);
  const known = config.services.map((service) => service.name);
  const named = name === undefined ? undefined : config.services.find((service) => service.name === name);
  if (name !== undefined && named === undefined)
    throw usageError(`--service ${name}: ${file} has no such service (known: ${known.join(", ")})`, "diff");
  const byDir = config.services.filter((service) => normalizeDir(service.dir) === dir);
  const service =
    named ?? (config.services.length === 1 ? config.services[0] : byDir.length === 1 ? byDir[0] : undefined);
  if (service === undefined)
    throw usageError(
      `${file} has ${known.length} services and none has k8s_yaml_dir ${dir || "."}: name one with --service (known: ${known.join(", ")})`,
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

/** defaultsFor is a config of one service with every default, through the real parser so no field is missed. */
function defaultsFor(name: string, fromDir: boolean): Config {
  const text = `github_configs: { local: { repo_owner: local, repo_name: local } }
services: [{ name: ${JSON.stringify(name)}, github: local, k8s_yaml_dir: local }]
`;
  try {
    return parseConfig(text, "--service");
  } catch (error: unknown) {
    if (!(error instanceof ConfigError)) throw error;
    const what = fromDir
      ? `the directory's name "${name}" is not a service name; give one with --service`
      : "";
    throw usageError(`${what || error.message}`, "diff");
  }
}
