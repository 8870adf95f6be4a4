import { parseArgs } from "node:util";
import { ConfigError } from "../controller/config/config-error.js";
import { readConfigFile } from "../controller/config/read-config-file.js";
import { buildInstall, toYamlStream } from "./build-install.js";
import type { SecretLookup } from "./split-secrets.js";

/** HELP is apply-gitops's complete usage text. */
export const HELP = `Usage: npx tsx apply-gitops.ts --config-file FILE --cluster-name NAME [options]

Builds the objects that run simple-gitops in a cluster (Namespace, ServiceAccount, RBAC, the gitops-config
ConfigMap with credentials removed, the gitops-controller-secrets Secret, the gitops-controller DaemonSet on the
management nodes, and its Service) and applies them with kubectl, or prints them with --dry-run.

Options:
  --config-file FILE   gitops-config.yaml to install (validated first; nothing is applied when it is invalid)
  --cluster-name NAME  name of the target cluster (labels the objects, CLUSTER_NAME in the pod)
  --namespace NS       namespace of the controller (default: default)
  --image IMAGE        controller image (default: simple-gitops:<version>, build it from the Dockerfile)
  --kubectl PATH       kubectl binary to apply with (default: kubectl on PATH)
  --dry-run            print multi-document YAML on stdout instead of applying
  -h, --help           show this help

Credentials given as token_env, token_file, url_env or secret_env are read from this shell's environment and files
and put in the Secret; a missing one is reported on stderr and left for you to add.

Examples:
  npx tsx apply-gitops.ts --config-file gitops-config.yaml --cluster-name prod --dry-run | kubectl apply -f -
  npx tsx apply-gitops.ts --config-file gitops-config.yaml --cluster-name prod --namespace gitops

Exit status: 0 done, 1 kubectl failed, 2 bad flags or config.`;

/** InstallCliDeps are the installer's side effects, injected so tests run it in-process. */
export interface InstallCliDeps {
  readonly version: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readFile: (path: string) => string;
  readonly lookup: SecretLookup;
  /** runKubectl applies a YAML stream and returns kubectl's exit code and output. */
  readonly runKubectl: (
    bin: string,
    args: string[],
    input: string,
  ) => Promise<{ exitCode: number; output: string }>;
}

const OPTIONS = {
  "config-file": { type: "string" },
  "cluster-name": { type: "string" },
  namespace: { type: "string", default: "default" },
  image: { type: "string" },
  kubectl: { type: "string", default: "kubectl" },
  "dry-run": { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true }>>["values"];
/** Exit is an exit status the CLI stops with, having said why on stderr (or printed the help). */
type Exit = { readonly exit: number };

/** runInstallCli is apply-gitops: it returns the exit status instead of exiting, so it can be tested in-process. */
export async function runInstallCli(argv: string[], deps: InstallCliDeps): Promise<number> {
  const flags = readFlags(argv, deps);
  if ("exit" in flags) return flags.exit;
  const plan = planInstall(flags, deps);
  if ("exit" in plan) return plan.exit;
  for (const warning of plan.warnings) deps.stderr(`apply-gitops: warning: ${warning}\n`);
  const stream = toYamlStream(plan.objects);
  if (flags["dry-run"]) {
    deps.stdout(stream);
    deps.stderr(`apply-gitops: ${plan.objects.length} objects written (dry run, nothing applied)\n`);
    return 0;
  }
  deps.stderr(
    `apply-gitops: applying ${plan.objects.length} objects to namespace ${flags.namespace} with ${flags.kubectl}\n`,
  );
  return applyStream(stream, flags, deps);
}

/** readFlags parses the command line; bad or missing flags exit 2, `--help` prints the usage and exits 0. */
function readFlags(argv: string[], deps: InstallCliDeps): Flags | Exit {
  let values: Flags;
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
  return values;
}

/**
 * planInstall reads and validates the config and builds the install's objects, with the build's warnings and the
 * RBAC ones; an invalid config exits 2 before anything is applied.
 */
function planInstall(
  flags: Flags,
  deps: InstallCliDeps,
): { objects: ReturnType<typeof buildInstall>["objects"]; warnings: string[] } | Exit {
  try {
    const { config, raw } = readConfigFile(flags["config-file"] as string, deps.readFile);
    const plan = buildInstall(
      config,
      raw,
      {
        namespace: flags.namespace,
        clusterName: flags["cluster-name"] as string,
        image: flags.image ?? `simple-gitops:${deps.version}`,
      },
      deps.lookup,
    );
    return {
      objects: plan.objects,
      warnings: [...plan.warnings, ...rbacWarnings(flags.namespace, config.namespaces)],
    };
  } catch (error: unknown) {
    if (error instanceof ConfigError) {
      deps.stderr(
        `apply-gitops: ${error.message}\nNothing was applied. Fix the fields above and run again.\n`,
      );
      return { exit: 2 };
    }
    throw error;
  }
}

/** applyStream applies the install's YAML with `kubectl apply --server-side` and says what to check next. */
async function applyStream(stream: string, flags: Flags, deps: InstallCliDeps): Promise<number> {
  const args = ["apply", "--server-side", "--field-manager=simple-gitops-install", "-f", "-"];
  const result = await deps.runKubectl(flags.kubectl, args, stream);
  deps.stderr(result.output.endsWith("\n") || result.output === "" ? result.output : `${result.output}\n`);
  if (result.exitCode !== 0) {
    deps.stderr(
      `apply-gitops: kubectl exited with ${result.exitCode}; nothing above marked "serverside-applied" was changed.\n` +
        "Check the kubectl context (kubectl config current-context) and your permissions, then run again.\n",
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
