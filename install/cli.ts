import { parseArgs } from "node:util";
import { ConfigError } from "../controller/config/config-error.js";
import { readConfigFile } from "../controller/config/read-config-file.js";
import type { Config } from "../controller/config/types.js";
import { apiTokens, type TokenOrigin } from "./api-tokens.js";
import { buildInstall, toYamlStream } from "./build-install.js";
import { HELP } from "./cli-help.js";
import { credentialWarnings, missingCredentialsReport, syncTokenNote } from "./cli-report.js";
import { type ContainerMemory, containerMemory, DEFAULT_MEMORY_LIMIT } from "./container-memory.js";
import { installedState } from "./installed-state.js";
import { unlabelledManagementWarning } from "./management-nodes.js";
import { FIELD_MANAGER, SECRET_NAME, SYNC_TOKEN_KEY } from "./options.js";
import { type ClusterRead, type RunKubectl, readCluster } from "./read-cluster.js";
import type { SecretLookup } from "./split-secrets.js";

export { HELP } from "./cli-help.js";

/** InstallCliDeps are the installer's side effects, injected so tests run it in-process. */
export interface InstallCliDeps {
  readonly version: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readFile: (path: string) => string;
  readonly lookup: SecretLookup;
  /** runKubectl runs kubectl: the cluster reads and the apply. */
  readonly runKubectl: RunKubectl;
  /** randomToken makes a new sync token (crypto-random in production). */
  readonly randomToken: () => string;
}

const OPTIONS = {
  "config-file": { type: "string" },
  "cluster-name": { type: "string" },
  namespace: { type: "string", default: "default" },
  image: { type: "string" },
  kubectl: { type: "string", default: "kubectl" },
  "memory-limit": { type: "string", default: DEFAULT_MEMORY_LIMIT },
  "dry-run": { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true }>>["values"];
/** Flags are the command line's values, with what `--memory-limit` makes of the container's memory. */
type Flags = Values & { readonly memory: ContainerMemory };
/** Exit is an exit status the CLI stops with, having said why on stderr (or printed the help). */
type Exit = { readonly exit: number };
type Loaded = { readonly config: Config; readonly raw: Record<string, unknown> };
type Plan = { objects: readonly unknown[]; warnings: string[]; syncToken: TokenOrigin };

/** APPLY_TIMEOUT_MS bounds the whole `kubectl apply` of the install. */
const APPLY_TIMEOUT_MS = 5 * 60_000;

/** runInstallCli is apply-gitops: it returns the exit status instead of exiting, so it can be tested in-process. */
export async function runInstallCli(argv: string[], deps: InstallCliDeps): Promise<number> {
  const flags = readFlags(argv, deps);
  if ("exit" in flags) return flags.exit;
  const loaded = loadConfig(flags, deps);
  if ("exit" in loaded) return loaded.exit;
  const cluster = await readCluster(deps.runKubectl, flags.kubectl, flags.namespace);
  const plan = planInstall(flags, loaded, cluster, deps);
  if ("exit" in plan) return plan.exit;
  const nodes = cluster.nodes && unlabelledManagementWarning(cluster.nodes);
  for (const warning of [...plan.warnings, ...(nodes ? [nodes.join("\n  ")] : [])])
    deps.stderr(`apply-gitops: warning: ${warning}\n`);
  const stream = toYamlStream(plan.objects);
  if (flags["dry-run"]) {
    // In the YAML too, so a saved or reviewed manifest still says why the DaemonSet would run no pod.
    const comment = nodes ? nodes.map((line) => `# ${line}\n`).join("") : "";
    deps.stdout(comment + stream);
    deps.stderr(`apply-gitops: ${plan.objects.length} objects written (dry run, nothing applied)\n`);
  } else {
    deps.stderr(
      `apply-gitops: applying ${plan.objects.length} objects to namespace ${flags.namespace} with ${flags.kubectl}\n`,
    );
    const code = await applyStream(stream, flags, deps);
    if (code !== 0) return code;
  }
  deps.stderr(`apply-gitops: ${syncTokenNote(plan.syncToken, flags.namespace)}\n`);
  return 0;
}

/** readFlags parses the command line; bad or missing flags exit 2, `--help` prints the usage and exits 0. */
function readFlags(argv: string[], deps: InstallCliDeps): Flags | Exit {
  let values: Values;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error: unknown) {
    deps.stderr(`apply-gitops: ${(error as Error).message}\nRun with --help for usage.\n`);
    return { exit: 2 };
  }
  if (values.help) {
    deps.stdout(`${HELP}\n`);
    return { exit: 0 };
  }
  const missing = (["config-file", "cluster-name"] as const).filter((flag) => !values[flag]);
  if (missing.length > 0) {
    deps.stderr(
      `apply-gitops: missing ${missing.map((flag) => `--${flag}`).join(" and ")}\nRun with --help for usage.\n`,
    );
    return { exit: 2 };
  }
  const memory = containerMemory(values["memory-limit"]);
  if ("error" in memory) {
    deps.stderr(`apply-gitops: --memory-limit: ${memory.error}\nRun with --help for usage.\n`);
    return { exit: 2 };
  }
  return { ...values, memory };
}

/** loadConfig reads and validates the config, and what the installed DaemonSet needs of it, before any cluster read. */
function loadConfig(flags: Flags, deps: InstallCliDeps): Loaded | Exit {
  return configErrorsExit(deps, () => {
    const file = flags["config-file"] as string;
    const loaded = readConfigFile(file, deps.readFile);
    installedState(loaded.raw, file);
    return loaded;
  });
}

/**
 * planInstall builds the install's objects with the credentials of this shell and of the installed Secret. A
 * credential the installed controller cannot start without exits 2; an installed Secret the cluster will not show
 * exits 1 unless GITOPS_SYNC_TOKEN is set, since building without it would replace the sync token in use.
 */
function planInstall(flags: Flags, loaded: Loaded, cluster: ClusterRead, deps: InstallCliDeps): Plan | Exit {
  if (cluster.secretUnreadable !== undefined && !deps.lookup.env(SYNC_TOKEN_KEY)) {
    deps.stderr(
      `apply-gitops: cannot read Secret ${flags.namespace}/${SECRET_NAME}: ${cluster.secretUnreadable}\n` +
        "It keeps the tokens an earlier install put there; without reading it the sync token would be replaced. " +
        `Run with access to it (kubectl auth can-i get secrets -n ${flags.namespace}), or set ${SYNC_TOKEN_KEY}.\n`,
    );
    return { exit: 1 };
  }
  const installed = cluster.installed ?? {};
  const lookup: SecretLookup = { ...deps.lookup, installed: (key) => installed[key] };
  const tokens = apiTokens(lookup, deps.randomToken);
  const built = configErrorsExit(deps, () =>
    buildInstall(
      loaded.config,
      loaded.raw,
      {
        namespace: flags.namespace,
        clusterName: flags["cluster-name"] as string,
        image: flags.image ?? `simple-gitops:${deps.version}`,
        memory: flags.memory,
      },
      lookup,
      { secretData: tokens.secretData, source: flags["config-file"] as string },
    ),
  );
  if ("exit" in built) return built;
  const required = built.missing.filter((missing) => missing.without === undefined);
  if (required.length > 0) {
    deps.stderr(missingCredentialsReport(required));
    return { exit: 2 };
  }
  return {
    objects: built.objects,
    warnings: [
      ...credentialWarnings(built.missing, built.kept),
      ...rbacWarnings(flags.namespace, loaded.config.namespaces),
    ],
    syncToken: tokens.syncToken,
  };
}

/** configErrorsExit runs a step that may throw a ConfigError, which it reports and turns into exit 2. */
function configErrorsExit<T>(deps: InstallCliDeps, step: () => T): T | Exit {
  try {
    return step();
  } catch (error: unknown) {
    if (!(error instanceof ConfigError)) throw error;
    deps.stderr(`apply-gitops: ${error.message}\nNothing was applied. Fix the fields above and run again.\n`);
    return { exit: 2 };
  }
}

/**
 * applyStream applies the install's YAML server-side as {@link FIELD_MANAGER}, taking over any field another
 * manager holds on these objects (the piped install's client-side apply, a hand edit): they are the install's own,
 * as fluxcd/pkg ssa applies with ForceOwnership.
 */
async function applyStream(stream: string, flags: Flags, deps: InstallCliDeps): Promise<number> {
  const args = ["apply", "--server-side", "--force-conflicts", `--field-manager=${FIELD_MANAGER}`, "-f", "-"];
  const result = await deps.runKubectl(flags.kubectl, args, { input: stream, timeoutMs: APPLY_TIMEOUT_MS });
  deps.stderr(result.output.endsWith("\n") || result.output === "" ? result.output : `${result.output}\n`);
  if (result.exitCode !== 0) {
    deps.stderr(
      `apply-gitops: kubectl exited with ${result.exitCode}: the objects marked "serverside-applied" above were ` +
        "applied, the others were not.\nFix what kubectl reports (is this the right cluster? kubectl config " +
        "current-context), then run again.\n",
    );
    return 1;
  }
  deps.stderr(
    `apply-gitops: done. Check: kubectl -n ${flags.namespace} rollout status ds/gitops-controller\n`,
  );
  return 0;
}

/**
 * rbacWarnings say what the config's RBAC amounts to when it is more than a reader might assume: applying into the
 * controller's own namespace (git then sits next to its credentials), or no allowlist at all (cluster-admin).
 */
export function rbacWarnings(installNamespace: string, namespaces: readonly string[] | undefined): string[] {
  if (!namespaces) {
    return [
      "no namespaces in the config: the controller gets a ClusterRole to write Deployments, Secrets, Roles and " +
        "RoleBindings in every namespace, kube-system included; whoever can push to a watched repository is as " +
        "good as cluster-admin. List the namespaces it applies into (namespaces: [...]) unless that is meant.",
    ];
  }
  if (!namespaces.includes(installNamespace)) return [];
  return [
    `namespaces contains ${installNamespace}, the controller's own namespace: git can then write next to its ` +
      "config and credentials (the controller refuses objects that touch them, but its Secret is readable by " +
      `anything it may create there). Install it into a dedicated namespace instead, e.g. --namespace gitops, and ` +
      `remove ${installNamespace} from namespaces.`,
  ];
}
