import { z } from "zod";
import { checkDuration, DURATION_BOUNDS, type DurationBounds } from "./duration.js";

/** DNS-1123 label: what Kubernetes accepts as a namespace and as the `{service}` part of `{service}-config`. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsLabel = (what: string) =>
  z
    .string()
    .max(63, `${what} must be at most 63 characters`)
    .regex(DNS_LABEL, `${what} must be a DNS-1123 label (lowercase letters, digits and "-")`);

/** A `cluster_kinds` entry: `Kind` (any API group) or `group/Kind`, e.g. `ClusterIssuer`, `cert-manager.io/ClusterIssuer`. */
const CLUSTER_KIND =
  /^(?:[a-z0-9]([-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z][A-Za-z0-9]*$/;

const httpUrl = z.url({ protocol: /^https?$/, error: "expected an http(s) URL" });

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
  z.unknown().transform((value, ctx) => {
    const checked = checkDuration(value, bounds);
    if ("message" in checked) {
      ctx.addIssue({ code: "custom", message: checked.message });
      return z.NEVER;
    }
    return checked.seconds;
  });

const reconcileInterval = boundedDuration(DURATION_BOUNDS.reconcile_interval);

const relativeDir = z
  .string()
  .min(1, "expected a directory path inside the repository")
  .refine(
    (dir) => !dir.startsWith("/"),
    "expected a path relative to the repository root, not an absolute path",
  )
  .refine((dir) => !dir.split("/").includes(".."), 'must not contain ".."');

// GitHub shows numeric IDs; a quoted "123456" is accepted too, as YAML users often quote them.
const githubId = (what: string) =>
  z.preprocess(
    (value) => (typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value),
    z
      .number({ error: `expected the ${what} (a number)` })
      .int()
      .positive(`expected the ${what} (a number)`),
  );

/** githubAppSchema is `github_configs.<name>.github_app`: authenticate as a GitHub App installation. */
export const githubAppSchema = z.strictObject({
  app_id: githubId("app's numeric App ID"),
  installation_id: githubId("installation ID"),
  private_key_file: z.string().min(1).optional(),
  private_key_env: z.string().min(1).optional(),
});

/** githubConfigSchema is one entry of `github_configs` (a repository and branch to watch). */
export const githubConfigSchema = z.strictObject({
  repo_owner: z.string().min(1),
  repo_name: z.string().min(1),
  branch: z.string().min(1).default("main"),
  token: z.string().min(1).optional(),
  token_env: z.string().min(1).optional(),
  token_file: z.string().min(1).optional(),
  github_app: githubAppSchema.optional(),
  // Off by default: posting statuses needs write access the read-only token of most setups does not have.
  commit_status: z.boolean().default(false),
  api_url: githubApiUrl.default("https://api.github.com"),
  webhook_secret_env: z.string().min(1).default("WEBHOOK_SECRET"),
});

/** githubConfigListSchema is the list form of `github_configs`: entries that carry their own `name`. */
export const githubConfigListSchema = z.array(githubConfigSchema.extend({ name: z.string().min(1) }));

/** githubConfigMapSchema is the map form of `github_configs`, keyed by the name services refer to. */
export const githubConfigMapSchema = z.record(z.string(), githubConfigSchema);

/** serviceSchema is one entry of `services`: a directory of manifests in a repository. */
export const serviceSchema = z.strictObject({
  name: dnsLabel("service name"),
  github: z.string().min(1).optional(),
  repo: z.string().min(1).optional(),
  k8s_yaml_dir: relativeDir,
  // "auto": the bootstrap only for a service that has a release; everything else is applied as written.
  stateless: z
    .union([z.boolean(), z.literal("auto")], { error: 'expected true, false or "auto"' })
    .default("auto"),
  namespace: dnsLabel("namespace").optional(),
  schedule: z.string().min(1).optional(),
  reconcile_interval: reconcileInterval.optional(),
  drift: z.enum(["correct", "report"]).default("correct"),
});

/** notificationSchema is one outgoing notification target. */
export const notificationSchema = z.strictObject({
  url: httpUrl.optional(),
  url_env: z.string().min(1).optional(),
  type: z.enum(["generic", "slack", "discord", "teams"]).default("generic"),
  secret_env: z.string().min(1).optional(),
});

export const APPLYER_NAMES = ["nokube", "kubectl", "api"] as const;

/** rawConfigSchema is the file format: the seed's keys unchanged, plus the documented extensions. */
export const rawConfigSchema = z.strictObject({
  // Checked on its own by loadConfig: it has two accepted shapes, and a union's error would not say which failed.
  github_configs: z.unknown().optional(),
  services: z.array(serviceSchema).min(1, "expected at least one service"),
  poll_interval: boundedDuration(DURATION_BOUNDS.poll_interval).default(60),
  reconcile_interval: reconcileInterval.default(600),
  // One kubectl or NoKube run, or one apiserver request, gives up after this: a hung call must not stall the loop.
  apply_timeout: boundedDuration(DURATION_BOUNDS.apply_timeout).default(300),
  // Off, as in Flux: a kustomization naming a URL fails its service instead of kustomize fetching it.
  allow_remote_bases: z.boolean().default(false),
  applyer_nokube: z
    .strictObject({
      cluster_name: z.string().min(1),
      nokube_download_url: httpUrl,
      sha256: z
        .string()
        .regex(/^[a-f0-9]{64}$/, "expected 64 lowercase hex characters")
        .optional(),
    })
    .optional(),
  webhook_url: httpUrl.optional(),
  namespaces: z
    .array(dnsLabel("namespace"))
    .min(1, "expected at least one namespace, or omit the key")
    .optional(),
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
    .optional(),
  applyers: z.array(z.enum(APPLYER_NAMES)).min(1, "expected at least one applyer").optional(),
  prune: z.boolean().default(false),
  // 0 turns the wait off: objects are recorded as soon as the apiserver accepted them.
  health_timeout: boundedDuration(DURATION_BOUNDS.health_timeout).default(60),
  notifications: z.array(notificationSchema).default([]),
  // A bare port number means every interface, as most servers read it.
  listen: z
    .preprocess(
      (value) => (typeof value === "number" ? `0.0.0.0:${value}` : value),
      z
        .string()
        .regex(/^(?:\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'expected "HOST:PORT", e.g. "0.0.0.0:8080"'),
    )
    .default("0.0.0.0:8080"),
  state: z.enum(["file", "configmap"]).default("file"),
  download_base_url: httpUrl.optional(),
  // Names this cluster in commit status contexts (simple-gitops/<cluster_name>/<service>).
  cluster_name: z
    .string()
    .max(63, "cluster_name must be at most 63 characters")
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected letters, digits, ".", "_" and "-", e.g. "prod-eu"')
    .optional(),
  // Where people reach this controller's HTTP server; commit statuses link to its status page.
  public_url: httpUrl.optional(),
  release_dir: z.string().min(1).optional(),
});

/** RawConfig is the parsed, defaulted file before cross-field checks. */
export type RawConfig = z.output<typeof rawConfigSchema>;
export type RawGithubConfig = z.output<typeof githubConfigSchema>;
