import { parseArgs } from "node:util";

/** CONTROLLER_HELP is the controller's complete usage text. */
export const CONTROLLER_HELP = `Usage: npm run controller -- --config FILE [options]

Polls the repositories in the config, renders each service's manifests (stateless bootstrap, service config), applies
them through the configured applyers, and serves the release tree and status API over HTTP.

Options:
  --config FILE        gitops-config.yaml (required; validated before anything runs)
  --once               run one sync of every service and exit: 0 all applied, 1 something failed, 2 bad config
  --dry-run            apply nothing; print what would be applied as multi-document YAML on stdout
  --state-dir DIR      where the file state store keeps what was deployed (default: ./.state)
  --listen HOST:PORT   HTTP server address (default: the config's listen, else 0.0.0.0:8080)
  --diff               apply nothing and record nothing: compare each service's manifests at the head of its branch
                       with the cluster (a server-side dry-run apply) and print a unified diff (--- live, +++ git)
                       of every object that would change or be created; Secret values are masked. Needs a
                       kubeconfig. Exit: 0 in sync, 1 something differs or could not be compared, 2 bad flags or
                       config (an unknown --service included). Not with --once or --dry-run.
  --service NAME       with --diff, compare only this service (repeat for several; default: every service)
  --ref REF            with --diff, preview what merging REF (a full commit SHA or a branch) into each watched branch
                       would change, as a pull request preview says it (docs/previews.md): only the services REF
                       touches, created / changed / pruned / unchanged and every error a sync would meet, on stdout
                       as markdown. Exit: 0 every touched service lands unchanged, 1 something would change or fail
  -h, --help           show this help

Environment:
  LOG_FORMAT=pretty    human-readable logs on stderr (default: JSON lines)
  LOG_LEVEL=debug      log level (trace, debug, info, warn, error; default info)
  GITOPS_SYNC_TOKEN    bearer token of manual syncs (POST /v1/gitops/sync) and of suspend, resume and rollback;
                       unset, they are refused (403)
  GITOPS_READ_TOKEN    bearer token of the read-only status API; unset, it is open
  WEBHOOK_SECRET       the push webhook's secret (or the variable a repository's webhook_secret_env names)
  The variables the config names are read at start-up: token_env, github_app.private_key_env and url_env (unset:
  exit 2, naming the field), secret_env (unset: notifications unsigned). Installed by apply-gitops, all of these
  come from the gitops-controller-secrets Secret, which also holds a generated GITOPS_SYNC_TOKEN.

Exit status: 0 ok, 1 a sync failed (with --once) or something differs (with --diff), 2 bad flags or config.`;

/** ControllerOptions are the controller's parsed command-line flags. */
export interface ControllerOptions {
  readonly config: string;
  readonly once: boolean;
  readonly dryRun: boolean;
  readonly stateDir: string;
  readonly listen?: string;
  /** diff compares git with the cluster and exits, applying nothing; set only when given. */
  readonly diff?: true;
  /** services limits --diff to these services; absent means every service. */
  readonly services?: readonly string[];
  /** ref makes --diff preview merging this commit or branch, as a pull request preview does. */
  readonly ref?: string;
}

/** parseControllerArgs parses the flags strictly: an unknown flag is an error, never ignored. */
export function parseControllerArgs(argv: string[]): { help: true } | { options: ControllerOptions } {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      config: { type: "string" },
      once: { type: "boolean", default: false },
      "dry-run": { type: "boolean", default: false },
      "state-dir": { type: "string", default: ".state" },
      listen: { type: "string" },
      diff: { type: "boolean", default: false },
      service: { type: "string", multiple: true },
      ref: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return { help: true };
  if (!values.config) throw new TypeError("missing --config FILE");
  const services = values.service ?? [];
  if (values.diff && values.once) throw new TypeError("--diff and --once cannot be used together");
  if (values.diff && values["dry-run"]) {
    throw new TypeError("--diff and --dry-run cannot be used together (--diff applies nothing already)");
  }
  if (services.length > 0 && !values.diff) throw new TypeError("--service NAME is only used with --diff");
  if (values.ref !== undefined && !values.diff) throw new TypeError("--ref REF is only used with --diff");
  if (values.ref?.trim() === "") throw new TypeError("--ref needs a commit SHA or a branch name");
  const empty = services.find((name) => name.trim() === "");
  if (empty !== undefined) throw new TypeError("--service needs a service name");
  return {
    options: {
      config: values.config,
      once: values.once,
      dryRun: values["dry-run"],
      stateDir: values["state-dir"],
      ...(values.listen ? { listen: values.listen } : {}),
      ...(values.diff ? { diff: true as const } : {}),
      ...(services.length > 0 ? { services } : {}),
      ...(values.ref ? { ref: values.ref } : {}),
    },
  };
}
