import { z } from "zod";
import { checkDuration, DURATION_BOUNDS, type DurationBounds } from "./duration.js";

// Every key carries its reference documentation in its zod metadata (`description`, the meaning, plus the fields
// below); scripts/config-reference.ts writes docs/configuration.md from it, and a test fails when a key has none.
declare module "zod" {
  interface GlobalMeta {
    /** What a user writes, when the schema's own type says too little: "DNS label", "seconds or duration". */
    written?: string;
    /** The default the loader fills in when the key is absent, for a key the schema leaves optional. */
    fallback?: string;
    /** A duration's range, shown as "from 1s to 24h". */
    bounds?: DurationBounds;
    /**
     * For a key the loader checks on its own (typed unknown here): the schemas it checks it against, documented like
     * the rest (github_configs' map and list forms). Typed unknown: zod schemas inside GlobalMeta overflow tsc.
     */
    forms?: readonly unknown[];
  }
}

/** DNS-1123 label: what Kubernetes accepts as a namespace and as the `{service}` part of `{service}-config`. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsLabel = (what: string) =>
  z
    .string()
    .max(63, `${what} must be at most 63 characters`)
    .regex(DNS_LABEL, `${what} must be a DNS-1123 label (lowercase letters, digits and "-")`)
    .meta({ written: "DNS label" });

/** A `cluster_kinds` entry: `Kind` (any API group) or `group/Kind`, e.g. `ClusterIssuer`, `cert-manager.io/ClusterIssuer`. */
const CLUSTER_KIND =
  /^(?:[a-z0-9]([-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z][A-Za-z0-9]*$/;

const httpUrl = z
  .url({ protocol: /^https?$/, error: "expected an http(s) URL" })
  .meta({ written: "http(s) URL" });

const hasCredentials = (url: string) => {
  const parsed = URL.parse(url);
  return parsed !== null && (parsed.username !== "" || parsed.password !== "");
};

// fetch (undici) refuses a URL with userinfo on every request, and its error quotes the URL, password included.
const githubApiUrl = httpUrl.refine(
  (url) => !hasCredentials(url),
  "must not contain credentials (user:password@): fetch refuses such a URL on every request. " +
    "Authenticate with token, token_env, token_file or github_app",
);

/** boundedDuration is a duration setting in seconds, refused outside its {@link DurationBounds}. */
const boundedDuration = (bounds: DurationBounds) =>
  z
    .unknown()
    .transform((value, ctx) => {
      const checked = checkDuration(value, bounds);
      if ("message" in checked) {
        ctx.addIssue({ code: "custom", message: checked.message });
        return z.NEVER;
      }
      return checked.seconds;
    })
    .meta({ written: "seconds or duration", bounds });

const reconcileInterval = boundedDuration(DURATION_BOUNDS.reconcile_interval);

const relativeDir = z
  .string()
  .min(1, "expected a directory path inside the repository")
  .refine(
    (dir) => !dir.startsWith("/"),
    "expected a path relative to the repository root, not an absolute path",
  )
  .refine((dir) => !dir.split("/").includes(".."), 'must not contain ".."')
  .meta({ written: "relative path" });

// GitHub shows numeric IDs; a quoted "123456" is accepted too, as YAML users often quote them.
const githubId = (what: string) =>
  z.preprocess(
    (value) => (typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value),
    z
      .number({ error: `expected the ${what} (a number)` })
      .int()
      .positive(`expected the ${what} (a number)`),
  );

/**
 * onFailure is what a service does when a new commit's set fails to land: keep it and retry (`hold`), or put the
 * last landed set back (`rollback`).
 */
const onFailure = z.enum(["hold", "rollback"]);

/** githubAppSchema is `github_configs.<name>.github_app`: authenticate as a GitHub App installation. */
export const githubAppSchema = z.strictObject({
  app_id: githubId("app's numeric App ID").meta({
    description: 'the app\'s numeric App ID (a quoted `"123456"` is read as a number)',
  }),
  installation_id: githubId("installation ID").meta({
    description: "the ID of the app's installation on the repository's owner",
  }),
  private_key_file: z.string().min(1).optional().meta({
    description:
      "a file holding the app's PEM private key (a mounted Secret); exactly one of `private_key_file` and `private_key_env`",
  }),
  private_key_env: z.string().min(1).optional().meta({
    description: "the environment variable holding the app's PEM private key",
  }),
});

/** prPreviewOptionsSchema is the mapping form of `github_configs.<name>.pr_preview`. */
export const prPreviewOptionsSchema = z.strictObject({
  // No schema default: `false` here is what `pr_preview: true` means, not what leaving pr_preview out means.
  forks: z
    .boolean()
    .optional()
    .meta({
      fallback: "`false`, as with `pr_preview: true`",
      description:
        "also preview pull requests whose head is in a fork, which anyone may open: their manifests are read, " +
        "rendered and compared with the cluster (never applied)",
    }),
});

/**
 * prPreviewSchema is `pr_preview`: `true` is the mapping with its defaults, `false` (or nothing) is off, so the loader
 * only ever sees the mapping or undefined; anything else is refused in the terms a user wrote it in.
 */
const prPreviewSchema = z.preprocess((value, ctx) => {
  if (value === true) return {};
  if (value === false || value === undefined) return undefined;
  if (typeof value === "object" && value !== null && !Array.isArray(value)) return value;
  ctx.addIssue({ code: "custom", message: "expected true, false or a mapping such as {forks: true}" });
  return undefined;
}, prPreviewOptionsSchema.optional());

/** githubConfigSchema is one entry of `github_configs` (a repository and branch to watch). */
export const githubConfigSchema = z.strictObject({
  repo_owner: z.string().min(1).meta({ description: "the repository's owner (a user or an organization)" }),
  repo_name: z.string().min(1).meta({ description: "the repository's name" }),
  branch: z.string().min(1).default("main").meta({ description: "the branch to deploy" }),
  token: z
    .string()
    .min(1)
    .optional()
    .meta({
      description:
        "the token inline (discouraged). At most one of `token`, `token_env`, `token_file` and `github_app` " +
        "(none = anonymous, public repositories only). Never logged or shown",
    }),
  token_env: z.string().min(1).optional().meta({ description: "the environment variable holding the token" }),
  token_file: z
    .string()
    .min(1)
    .optional()
    .meta({ description: "a file holding the token (a mounted Secret)" }),
  github_app: githubAppSchema.optional().meta({
    description:
      "authenticate as a GitHub App installation instead of with a token " +
      "([GitHub App authentication](github.md#github-app-authentication))",
  }),
  // Off by default: posting statuses needs write access the read-only token of most setups does not have.
  commit_status: z
    .boolean()
    .default(false)
    .meta({
      description:
        "set a commit status per service on each commit it syncs ([Commit statuses](github.md#commit-statuses)); " +
        "needs a token or `github_app`",
    }),
  // Off by default: it reads what anyone who can open a pull request wrote, and writes on the pull request.
  pr_preview: prPreviewSchema.meta({
    written: "`true`, `false` or a mapping",
    fallback: "`false`",
    description:
      "on every open pull request into `branch`, a commit status (`simple-gitops/<cluster_name>/preview`) and one " +
      "comment saying what merging would change in the cluster, per service it touches " +
      "([Pull request previews](previews.md)); needs a token or `github_app` that may write statuses and comments",
  }),
  api_url: githubApiUrl.default("https://api.github.com").meta({
    description:
      "the GitHub API; GitHub Enterprise: `https://HOST/api/v3`. Without credentials (`user:password@`) in it",
  }),
  webhook_secret_env: z.string().min(1).default("WEBHOOK_SECRET").meta({
    description: "the environment variable holding the push webhook secret",
  }),
  on_failure: onFailure.optional().meta({
    fallback: "`hold`",
    description:
      "what a service of this repository does when a new commit fails to land; a service may override it",
  }),
});

/** githubConfigListSchema is the list form of `github_configs`: entries that carry their own `name`. */
export const githubConfigListSchema = z.array(
  githubConfigSchema.extend({
    name: z.string().min(1).meta({
      written: "string, unique",
      description: "in the list form, the name services refer to (the key in the map form)",
    }),
  }),
);

/** githubConfigMapSchema is the map form of `github_configs`, keyed by the name services refer to. */
export const githubConfigMapSchema = z.record(z.string(), githubConfigSchema);

/** serviceSchema is one entry of `services`: a directory of manifests in a repository. */
export const serviceSchema = z.strictObject({
  name: dnsLabel("service name").meta({
    written: "DNS label, unique",
    description: "used in `{name}-config`, `{name}-secret`",
  }),
  github: z.string().min(1).optional().meta({
    written: "key of `github_configs`",
    description: "the repository; exactly one of `github` and the legacy `repo`",
  }),
  repo: z.string().min(1).optional().meta({
    written: "`https://github.com/OWNER/NAME[.git][/tree/BRANCH]`",
    description: "the seed's legacy form; branch defaults to `main`",
  }),
  k8s_yaml_dir: relativeDir.meta({
    description:
      "the directory of `.yaml`/`.yml`/`.json` files, or of a kustomization (built with kustomize, see " +
      "[Kustomize](kustomize.md))",
  }),
  // "auto": the bootstrap only for a service that has a release; everything else is applied as written.
  stateless: z
    .union([z.boolean(), z.literal("auto")], { error: 'expected true, false or "auto"' })
    .default("auto")
    .meta({
      description:
        "inject the init.sh / app.tar.gz bootstrap into pod templates: `auto` only when the service has a release " +
        "(`scripts/{service}/init.sh` in `release_dir`, else answering at its download URL), `true` always, " +
        "`false` never",
    }),
  namespace: dnsLabel("namespace").optional().meta({
    description: "namespace for objects that name none; must be in `namespaces` when that is set",
  }),
  schedule: z.string().min(1).optional().meta({
    written: "cron expression",
    description: "deploy window: sync this service on the cron schedule instead of every poll",
  }),
  reconcile_interval: reconcileInterval.optional().meta({
    fallback: "the top-level `reconcile_interval`",
    description: "this service's own reconcile interval",
  }),
  drift: z.enum(["correct", "report"]).default("correct").meta({
    description: "on a reconcile, put drifted objects back, or only report them",
  }),
  on_failure: onFailure.optional().meta({
    fallback: "its repository's `on_failure`, else `hold`",
    description:
      "when a new commit fails to land (an object rejected, or a workload not healthy within `health_timeout`): " +
      "`hold` leaves it and retries it with a backoff; `rollback` applies the last landed set again, deletes what " +
      "the failed commit created, and does not try that commit again until the head moves or a manual sync " +
      "([Failure handling](how-a-sync-works.md#when-a-commit-fails))",
  }),
  depends_on: z
    .array(z.string().min(1))
    .optional()
    .meta({
      written: "list of service names",
      fallback: "none",
      description:
        "services that must have landed, healthy, at their head before this one is applied (in any repository); " +
        "one landing starts this one in the same run. A cycle or an unknown name is a config error " +
        "([Dependencies](how-a-sync-works.md#dependencies))",
    }),
});

/** notificationSchema is one outgoing notification target. */
export const notificationSchema = z.strictObject({
  url: httpUrl.optional().meta({ description: "where to send; exactly one of `url` and `url_env`" }),
  url_env: z.string().min(1).optional().meta({
    description: "the environment variable holding the URL (a Slack or Discord webhook URL is a credential)",
  }),
  type: z.enum(["generic", "slack", "discord", "teams"]).default("generic").meta({
    description: "the payload: one JSON summary per sync, or one chat message per sync",
  }),
  per_file: z.boolean().default(false).meta({
    description:
      "`generic` only: also send the seed's `manifest_applied` event for each file, before each sync's summary",
  }),
  secret_env: z.string().min(1).optional().meta({
    description: "the environment variable holding a secret: adds an HMAC `X-Signature` header",
  }),
});

export const APPLYER_NAMES = ["nokube", "kubectl", "api"] as const;

/** rawConfigSchema is the file format: the seed's keys unchanged, plus the documented extensions. */
export const rawConfigSchema = z.strictObject({
  // Checked on its own by loadConfig: it has two accepted shapes, and a union's error would not say which failed.
  github_configs: z
    .unknown()
    .optional()
    .meta({
      written: "map of name → entry, or list of entries with `name`",
      description: "repositories to watch",
      forms: [githubConfigMapSchema, githubConfigListSchema],
    }),
  services: z
    .array(serviceSchema)
    .min(1, "expected at least one service")
    .meta({ written: "list, at least one", description: "one directory of manifests each" }),
  poll_interval: boundedDuration(DURATION_BOUNDS.poll_interval)
    .default(60)
    .meta({ description: 'how often each branch is polled: `60`, `"30s"`, `"5m"`, `"1h30m"`' }),
  reconcile_interval: reconcileInterval.default(600).meta({
    description: "how often every landed set is applied again to correct drift",
  }),
  // One kubectl or NoKube run, or one apiserver request, gives up after this: a hung call must not stall the loop.
  apply_timeout: boundedDuration(DURATION_BOUNDS.apply_timeout)
    .default(300)
    .meta({
      description:
        "how long one kubectl or NoKube run, or one kustomize build, may take before it is killed and its sync " +
        "fails (and is retried)",
    }),
  // Off, as in Flux: a kustomization naming a URL fails its service instead of kustomize fetching it.
  allow_remote_bases: z
    .boolean()
    .default(false)
    .meta({
      description:
        "let kustomize fetch remote bases and resources (URLs), and helm the charts of a chart repository (`repo:`); " +
        "off, a kustomization naming one fails its service",
    }),
  // Where the helm that renders a kustomization's helmCharts is; unset, the controller looks where it is installed.
  helm_bin: z
    .string()
    .min(1)
    .refine(
      (bin) => bin.startsWith("/") || !bin.includes("/"),
      "expected an absolute path, or a command name looked up in PATH",
    )
    .optional()
    .meta({
      written: "absolute path or command name",
      fallback:
        "the build `scripts/helm.sh` caches (`~/.cache/simple-gitops/helm-<version>/bin/helm`), else `helm` on PATH",
      description:
        "the helm v3 that renders the local Helm charts of a kustomization's `helmCharts` " +
        "([Helm charts](kustomize.md#helm-charts)); set, it is the only one tried",
    }),
  applyer_nokube: z
    .strictObject({
      cluster_name: z.string().min(1).meta({
        description: "the NoKube cluster to apply to; also names this cluster when `cluster_name` is not set",
      }),
      nokube_download_url: httpUrl.meta({
        description:
          "where the NoKube CLI is downloaded from; must be `https://`, or `sha256` must be set (a plain-http URL " +
          "without `sha256` is a config error, exit 2)",
      }),
      sha256: z
        .string()
        .regex(/^[a-f0-9]{64}$/, "expected 64 lowercase hex characters")
        .optional()
        .meta({
          written: "64 lowercase hex characters",
          description:
            "the binary's SHA-256: a download or an installed binary that does not match is refused",
        }),
    })
    .optional()
    .meta({ description: "apply through the NoKube CLI, downloaded at start-up" }),
  webhook_url: httpUrl.optional().meta({
    description: "the seed's shorthand for one `generic` notification, sent after those of `notifications`",
  }),
  namespaces: z
    .array(dnsLabel("namespace"))
    .min(1, "expected at least one namespace, or omit the key")
    .optional()
    .meta({
      written: "list of DNS labels",
      fallback: "none (every namespace)",
      description: "allowlist: objects outside it are refused before anything is sent",
    }),
  // Cluster-scoped kinds a service may apply; without it, none when namespaces is set, any when it is not.
  cluster_kinds: z
    .array(
      z
        .string()
        .regex(
          CLUSTER_KIND,
          'expected a kind like "ClusterIssuer" or "group/Kind" like "cert-manager.io/ClusterIssuer"',
        ),
    )
    .optional()
    .meta({
      written: "list of `Kind` or `group/Kind`",
      description:
        "cluster-scoped kinds services may apply, each once; when absent: none if `namespaces` is set, any if not. " +
        "With either set, kinds of unknown scope are refused",
    }),
  // Installed RBAC beyond the built-in kinds: what the stacks in git need that APPLY_RULES does not grant.
  rbac_rules: z
    .array(
      z
        .object({
          apiGroups: z
            .array(z.string())
            .min(1, 'expected at least one API group ("" is the core group)')
            .meta({ written: "list of API groups", description: 'the groups, `""` for the core group' }),
          resources: z.array(z.string().min(1)).min(1, "expected at least one resource").meta({
            written: "list of resources",
            description: "plural resource names, `*` for all of the groups",
          }),
          verbs: z
            .array(z.string().min(1))
            .min(1, "expected at least one verb")
            .meta({ written: "list of verbs", description: "`get`, `list`, `create`, `patch`, `delete`, …" }),
          resourceNames: z
            .array(z.string().min(1))
            .optional()
            .meta({ written: "list of names", fallback: "any name", description: "only these objects" }),
        })
        .strict(),
    )
    .optional()
    .meta({
      written: "list of RBAC PolicyRules (`apiGroups`, `resources`, `verbs`, `resourceNames`)",
      fallback: "none",
      description:
        "added by `apply-gitops` to the controller's ClusterRole (to each namespace's Role with `namespaces`): what " +
        "the stacks in git apply beyond the built-in kinds, e.g. ClusterRoles, APIServices, webhooks, custom " +
        "resources (and `list` on a CRD's custom resources, which prune reads before deleting the CRD); the " +
        "controller itself does not read it",
    }),
  applyers: z
    .array(z.enum(APPLYER_NAMES))
    .min(1, "expected at least one applyer")
    .optional()
    .meta({
      fallback: "`[api, kubectl]`, `nokube` first when `applyer_nokube` is set",
      description:
        "tried in order, each once; one that cannot be installed hands over to the next. `nokube` needs " +
        "`applyer_nokube`",
    }),
  prune: z.boolean().default(false).meta({
    description: "delete objects simple-gitops applied that are gone from git",
  }),
  // 0 turns the wait off: objects are recorded as soon as the apiserver accepted them.
  health_timeout: boundedDuration(DURATION_BOUNDS.health_timeout)
    .default(60)
    .meta({
      description:
        "how long a sync waits for its workloads to roll out before it fails; with `0` the set is recorded once " +
        "the apiserver accepted it",
    }),
  notifications: z.array(notificationSchema).default([]).meta({
    description:
      "outgoing notifications ([Notifications](notifications.md)), sent in the background after each sync",
  }),
  // A bare port number means every interface, as most servers read it.
  listen: z
    .preprocess(
      (value) => (typeof value === "number" ? `0.0.0.0:${value}` : value),
      z
        .string()
        .regex(/^(?:\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'expected "HOST:PORT", e.g. "0.0.0.0:8080"'),
    )
    .default("0.0.0.0:8080")
    .meta({ written: '`"HOST:PORT"` or a port', description: "the HTTP server" }),
  state: z
    .enum(["file", "configmap"])
    .default("file")
    .meta({ description: "where the deployed state is kept" }),
  // Unset, it follows `state`: every member must read the records the others write, which only `configmap` allows.
  sharding: z
    .boolean()
    .optional()
    .meta({
      fallback: "`true` with `state: configmap` (what apply-gitops installs), else `false`",
      description:
        "every pod of the DaemonSet works: the services are shared out between the live controllers through a " +
        "Lease each ([Scaling out](../README.md#scaling-out)); needs `state: configmap`. `false` is the opt-out: " +
        "the pods elect one leader that applies everything and the others wait",
    }),
  download_base_url: httpUrl.optional().meta({
    fallback: "the controller's Service URL",
    description: "where workloads download `scripts/{svc}/init.sh` and `apps/{svc}/app.tar.gz`",
  }),
  // Names this cluster in commit status contexts (simple-gitops/<cluster_name>/<service>).
  cluster_name: z
    .string()
    .max(63, "cluster_name must be at most 63 characters")
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected letters, digits, ".", "_" and "-", e.g. "prod-eu"')
    .optional()
    .meta({
      written: "`[A-Za-z0-9._-]`, ≤ 63",
      fallback: "`applyer_nokube.cluster_name`, else `default`",
      description: "names this cluster in commit status contexts",
    }),
  // Where people reach this controller's HTTP server; commit statuses link to its status page.
  public_url: httpUrl.optional().meta({
    description:
      "where people reach the controller's HTTP server; commit statuses link to `<public_url>/ui#service-<name>`",
  }),
  release_dir: z.string().min(1).optional().meta({
    written: "path",
    description: "the local release tree the HTTP server serves",
  }),
});

/** RawConfig is the parsed, defaulted file before cross-field checks. */
export type RawConfig = z.output<typeof rawConfigSchema>;
export type RawGithubConfig = z.output<typeof githubConfigSchema>;
