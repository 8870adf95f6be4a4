import { createHash } from "node:crypto";
import yaml from "js-yaml";
import type { Config } from "../controller/config/types.js";
import { installedState } from "./installed-state.js";
import { CONFIG_KEY, CONFIG_MAP_NAME, type InstallOptions, metadata, SECRET_NAME } from "./options.js";
import { rbac, serviceAccount } from "./rbac.js";
import { type MissingCredential, type SecretLookup, splitSecrets } from "./split-secrets.js";
import { daemonSet, service } from "./workload.js";

/**
 * InstallPlan is every object of the install, in apply order, the credentials the config refers to that were not
 * found, and the Secret keys kept from the installed Secret.
 */
export interface InstallPlan {
  readonly objects: readonly Record<string, unknown>[];
  readonly missing: readonly MissingCredential[];
  readonly kept: readonly string[];
}

/** InstallExtras are what the install adds beside the config: the HTTP API's tokens, and the config's file name. */
export interface InstallExtras {
  /** secretData is added to the Secret as is (the API tokens of {@link apiTokens}). */
  readonly secretData?: Readonly<Record<string, string>>;
  /** source names the config file in errors. */
  readonly source?: string;
}

/**
 * buildInstall turns a validated config into the controller's install objects: Namespace, ServiceAccount, RBAC,
 * the config ConfigMap (credentials removed), the Secret with those credentials, the DaemonSet and its Service.
 * `raw` is the config file as parsed YAML, so the ConfigMap keeps the user's own keys and layout. A config the
 * installed DaemonSet cannot run with (`state: file`) throws a ConfigError.
 */
export function buildInstall(
  config: Config,
  raw: Record<string, unknown>,
  options: Omit<InstallOptions, "port" | "namespaces" | "rbacRules">,
  lookup: SecretLookup,
  extras: InstallExtras = {},
): InstallPlan {
  const full: InstallOptions = {
    ...options,
    port: config.listen.port,
    ...(config.namespaces ? { namespaces: config.namespaces } : {}),
    ...(config.rbacRules ? { rbacRules: config.rbacRules } : {}),
  };
  const split = splitSecrets(raw, lookup, new Set(config.repos.map((repo) => repo.key)));
  split.config.state = installedState(raw, extras.source ?? "gitops-config.yaml");
  // Workloads fetch init.sh/app.tar.gz from this controller unless told otherwise; the Service name is known here.
  split.config.download_base_url ??= `http://${service(full).metadata.name}.${full.namespace}.svc:${full.port}`;
  const configText = yaml.dump(split.config, { lineWidth: 120, noRefs: true });
  const configHash = createHash("sha256").update(configText).digest("hex");
  const objects: Record<string, unknown>[] = [
    // The allowed namespaces are created too: the Roles that grant access in them cannot exist before them.
    ...namespacesToCreate(full).map((name) => ({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: metadata(full, name),
    })),
    serviceAccount(full),
    ...(rbac(full) as Record<string, unknown>[]),
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: metadata(full, CONFIG_MAP_NAME, full.namespace),
      data: { [CONFIG_KEY]: configText },
    },
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: metadata(full, SECRET_NAME, full.namespace),
      type: "Opaque",
      // data, not stringData, and no empty map: kubectl's client-side apply would report the Secret "configured" on
      // every run, because the apiserver stores stringData as data and drops an empty map.
      ...secretDataField({ ...split.secretData, ...extras.secretData }),
    },
    daemonSet(full, configHash),
    service(full),
  ];
  return { objects, missing: split.missing, kept: split.kept };
}

function secretDataField(values: Record<string, string>): { data?: Record<string, string> } {
  const entries = Object.entries(values).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return {};
  return {
    data: Object.fromEntries(entries.map(([key, value]) => [key, Buffer.from(value).toString("base64")])),
  };
}

/** namespacesToCreate are the controller's own and the allowed namespaces, but not `default`, which always exists. */
function namespacesToCreate(options: InstallOptions): string[] {
  const names = new Set([options.namespace, ...(options.namespaces ?? [])]);
  names.delete("default");
  return [...names];
}

/** toYamlStream renders objects as one multi-document YAML stream, the input `kubectl apply -f -` expects. */
export function toYamlStream(objects: readonly unknown[]): string {
  return objects.map((object) => `---\n${yaml.dump(object, { lineWidth: -1, noRefs: true })}`).join("");
}
