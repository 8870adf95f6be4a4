import type { SecretRef } from "./secret.js";

/** ApplyerName is one of the applyers a config can list, in the order they are tried. */
export type ApplyerName = "nokube" | "kubectl" | "api";

/** RepoConfig is one watched repository and branch, shared by every service that names it. */
export interface RepoConfig {
  /** The `github_configs` key (or, for a legacy `repo:` URL, `owner/name`). */
  readonly key: string;
  readonly owner: string;
  readonly name: string;
  readonly branch: string;
  readonly apiUrl: string;
  /** The browser URL of the repository, as `/v1/gitops/repos` reports it. */
  readonly htmlUrl: string;
  readonly token?: SecretRef;
  /** Authenticate as this GitHub App installation instead of with a token (never both). */
  readonly githubApp?: GitHubAppConfig;
  /** Set a commit status per service on each commit it syncs (`commit_status`); absent means off. */
  readonly commitStatus?: boolean;
  /** Preview every open pull request into the branch (`pr_preview`); absent means off. */
  readonly prPreview?: PrPreviewConfig;
  readonly webhookSecretEnv: string;
  /** What its services do when a new commit fails to land, unless a service says (`on_failure`); absent: hold. */
  readonly onFailure?: OnFailure;
}

/** PrPreviewConfig is `pr_preview` on: whether pull requests from forks are previewed too. */
export interface PrPreviewConfig {
  readonly forks: boolean;
}

/**
 * OnFailure is what a service does when a new commit's set fails to land: `hold` keeps what was applied and retries
 * the commit with a backoff; `rollback` applies the last landed set again and holds the failed commit.
 */
export type OnFailure = "hold" | "rollback";

/** GitHubAppConfig is `github_app`: the app, its installation on the repository's owner, and its private key. */
export interface GitHubAppConfig {
  readonly appId: number;
  readonly installationId: number;
  /** The PEM private key, from `private_key_file` or `private_key_env`; filled in by resolveSecrets. */
  readonly privateKey: SecretRef;
}

/** ServiceConfig is one directory of manifests in a repository, applied as one unit. */
export interface ServiceConfig {
  readonly name: string;
  readonly repoKey: string;
  readonly dir: string;
  /**
   * Whether pod templates get the stateless bootstrap: always, never, or (`auto`) only when the service has a release
   * (scripts/{service}/init.sh in the release tree, or answering at its download base URL).
   */
  readonly stateless: boolean | "auto";
  readonly namespace?: string;
  readonly schedule?: string;
  /** How often the whole set is applied again between changes (its own, else the top-level one); 0 = never. */
  readonly reconcileIntervalSeconds: number;
  /** What a reconcile does with objects that differ from git: put them back, or only report them. */
  readonly drift: "correct" | "report";
  /** What a new commit that fails to land leads to: its own `on_failure`, else its repository's; absent: hold. */
  readonly onFailure?: OnFailure;
  /** The services that must have landed, healthy, at their head before this one is applied (`depends_on`). */
  readonly dependsOn?: readonly string[];
}

/** NotificationConfig is one outgoing notification target; the URL can itself be a credential (Slack). */
export interface NotificationConfig {
  readonly type: "generic" | "slack" | "discord" | "teams";
  readonly url: SecretRef;
  readonly secretEnv?: string;
  /** perFile sends the seed's per-file events as well as the summary (`generic` only). */
  readonly perFile?: boolean;
}

/** NokubeConfig says where the NoKube CLI comes from and which cluster it applies to. */
export interface NokubeConfig {
  readonly clusterName: string;
  readonly downloadUrl: string;
  readonly sha256?: string;
}

/** Config is the validated, defaulted configuration every part of the controller is built from. */
export interface Config {
  readonly repos: readonly RepoConfig[];
  readonly services: readonly ServiceConfig[];
  readonly pollIntervalSeconds: number;
  readonly applyers: readonly ApplyerName[];
  readonly nokube?: NokubeConfig;
  readonly namespaces?: readonly string[];
  /**
   * The cluster-scoped kinds services may apply (`Kind` or `group/Kind`); absent: none when `namespaces` is set,
   * any when it is not.
   */
  readonly clusterKinds?: readonly string[];
  /** Extra RBAC rules `apply-gitops` grants the controller (`rbac_rules`), as written. */
  readonly rbacRules?: readonly RbacRule[];
  readonly prune: boolean;
  /**
   * Whether the pods share the services out through a Lease each (`sharding`) instead of electing one leader: unset,
   * on with `state: configmap`.
   */
  readonly sharding: boolean;
  /** How long to wait for workloads to roll out after an apply before calling the sync failed; 0 = no wait. */
  readonly healthTimeoutSeconds: number;
  /** How long one kubectl or NoKube run may take before it is killed and the sync fails (and is retried). */
  readonly applyTimeoutSeconds: number;
  /** Whether kustomize may fetch remote bases and resources (`allow_remote_bases`); refused by default. */
  readonly allowRemoteBases: boolean;
  /** The config's `helm_bin`: the helm that renders kustomizations' Helm charts; unset, it is looked for. */
  readonly helmBin?: string;
  readonly notifications: readonly NotificationConfig[];
  readonly listen: { readonly host: string; readonly port: number };
  readonly state: "file" | "configmap";
  readonly downloadBaseUrl?: string;
  readonly releaseDir?: string;
  /** Names this cluster in commit status contexts: `cluster_name`, else applyer_nokube's, else "default". */
  readonly clusterName: string;
  /** Where people reach the HTTP server (`public_url`, no trailing slash); commit statuses link to its status page. */
  readonly publicUrl?: string;
}

/** RbacRule is one RBAC PolicyRule of `rbac_rules`, with Kubernetes' own field names. */
export interface RbacRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames?: readonly string[];
}
