import { bootstrapScript, commandWrapper, DEFAULT_BOOTSTRAP_PATHS } from "./bootstrap-script.js";
import { groupOf, type KubeObject, STATELESS_ANNOTATION } from "./types.js";

/** StatelessOptions are the service-level inputs of the stateless bootstrap. */
export interface StatelessOptions {
  service: string;
  /** downloadBaseUrl from the gitops config; without it pods read `download_base_url` from `{svc}-config`. */
  downloadBaseUrl?: string;
  /** bootstrapImage runs the download; it needs `sh`, `tar`, `awk`, `sha256sum` and `wget` or `curl`. */
  bootstrapImage?: string;
}

/** DEFAULT_BOOTSTRAP_IMAGE is busybox: small, and has everything the bootstrap script needs. */
export const DEFAULT_BOOTSTRAP_IMAGE = "busybox:1.36";
/** BOOTSTRAP_CONTAINER is the name of the init container the stateless bootstrap adds. */
export const BOOTSTRAP_CONTAINER = "simple-gitops-bootstrap";
/** CONFIG_PATH is where the service's ConfigMap is mounted. */
export const CONFIG_PATH = "/etc/config";
/** SECRET_PATH is where the service's Secret is mounted. */
export const SECRET_PATH = "/etc/secret";

const WRAPPER_ARGV0 = "simple-gitops-init";
const VOLUMES = {
  config: "simple-gitops-config",
  secret: "simple-gitops-secret",
  app: "simple-gitops-app",
  tmp: "simple-gitops-tmp",
} as const;

type Json = Record<string, unknown>;
interface Container extends Json {
  name: string;
  command?: string[];
  env?: Json[];
  volumeMounts?: Json[];
}
interface PodSpec extends Json {
  containers?: Container[];
  initContainers?: Container[];
  volumes?: Json[];
}

/** podTemplateOf returns the pod template of a workload kind we make stateless, or undefined. */
export function podTemplateOf(object: KubeObject): { metadata?: Json; spec?: PodSpec } | undefined {
  const group = groupOf(object.apiVersion);
  const spec = object.spec as Json | undefined;
  if (!spec) return undefined;
  if (group === "apps" && ["Deployment", "StatefulSet", "DaemonSet"].includes(object.kind)) {
    return spec.template as { spec?: PodSpec } | undefined;
  }
  if (group === "batch" && object.kind === "Job") return spec.template as { spec?: PodSpec } | undefined;
  if (group === "batch" && object.kind === "CronJob") {
    const jobSpec = (spec.jobTemplate as Json | undefined)?.spec as Json | undefined;
    return jobSpec?.template as { spec?: PodSpec } | undefined;
  }
  return undefined;
}

/**
 * makeStateless returns a copy of a workload whose pods fetch their code at start (seed 001, "stateless service"):
 * env SERVICE_NAME, CONFIG_PATH, SECRET_PATH and DOWNLOAD_BASE_URL; the service's ConfigMap and Secret mounted at
 * /etc/config and /etc/secret (both optional, so a service without them still starts); emptyDirs for /app and
 * /tmp; and a bootstrap init container that downloads, verifies and unpacks the release into /app.
 *
 * The image's own command is kept. An init container is used because it leaves the app container alone. When the
 * first (app) container sets `command` explicitly, that command is prefixed with `sh -c '. init.sh; exec "$@"'`,
 * so init.sh runs in the app's own image and can export variables for it. When it does not, its entrypoint is
 * unknown here and wrapping would lose it, so init.sh runs at the end of the bootstrap instead.
 *
 * Values the manifest already sets (an env var, a mount path, a volume name) win. Applying this to its own output
 * changes nothing. Objects that are not workloads, or carry `simple-gitops.io/stateless: "false"` on themselves or
 * their pod template, are returned unchanged.
 */
export function makeStateless(object: KubeObject, opts: StatelessOptions): KubeObject {
  const original = podTemplateOf(object);
  if (!original?.spec || optedOut(object, original.metadata)) return object;
  const copy = structuredClone(object);
  const template = podTemplateOf(copy);
  if (template?.spec) mutatePodSpec(template.spec, opts);
  return copy;
}

function optedOut(object: KubeObject, templateMetadata: Json | undefined): boolean {
  const templateAnnotations = templateMetadata?.annotations as Record<string, string> | undefined;
  return (
    object.metadata.annotations?.[STATELESS_ANNOTATION] === "false" ||
    templateAnnotations?.[STATELESS_ANNOTATION] === "false"
  );
}

function mutatePodSpec(spec: PodSpec, opts: StatelessOptions): void {
  const containers = spec.containers ?? [];
  const app = containers[0];
  const wrapper = commandWrapper();
  // After the first render the app command is the wrapper, so this stays false and the output is stable.
  const runInitInBootstrap = !app?.command || app.command.length === 0;
  if (app?.command && app.command.length > 0 && !isWrapped(app.command, wrapper)) {
    app.command = ["sh", "-c", wrapper, WRAPPER_ARGV0, ...app.command];
  }

  const env = serviceEnv(opts);
  const mounts = [
    { name: VOLUMES.config, mountPath: CONFIG_PATH, readOnly: true },
    { name: VOLUMES.secret, mountPath: SECRET_PATH, readOnly: true },
    { name: VOLUMES.app, mountPath: DEFAULT_BOOTSTRAP_PATHS.appDir },
    { name: VOLUMES.tmp, mountPath: "/tmp" },
  ];
  for (const container of containers) {
    container.env = addMissing(container.env, env, (e) => e.name);
    container.volumeMounts = addMissing(container.volumeMounts, mounts, (m) => m.mountPath);
  }

  const bootstrap: Container = {
    name: BOOTSTRAP_CONTAINER,
    image: opts.bootstrapImage ?? DEFAULT_BOOTSTRAP_IMAGE,
    imagePullPolicy: "IfNotPresent",
    command: ["sh", "-c", bootstrapScript({ runInit: runInitInBootstrap })],
    env,
    volumeMounts: mounts,
  };
  const inits = spec.initContainers ?? [];
  const at = inits.findIndex((c) => c.name === BOOTSTRAP_CONTAINER);
  // Ours runs first so other init containers can already use /app.
  spec.initContainers = at >= 0 ? inits.map((c, i) => (i === at ? bootstrap : c)) : [bootstrap, ...inits];

  spec.volumes = addMissing(
    spec.volumes,
    [
      { name: VOLUMES.config, configMap: { name: `${opts.service}-config`, optional: true } },
      { name: VOLUMES.secret, secret: { secretName: `${opts.service}-secret`, optional: true } },
      { name: VOLUMES.app, emptyDir: {} },
      { name: VOLUMES.tmp, emptyDir: {} },
    ],
    (v) => v.name,
  );
}

function serviceEnv(opts: StatelessOptions): Json[] {
  const downloadBaseUrl = opts.downloadBaseUrl
    ? { name: "DOWNLOAD_BASE_URL", value: opts.downloadBaseUrl }
    : {
        name: "DOWNLOAD_BASE_URL",
        valueFrom: {
          configMapKeyRef: { name: `${opts.service}-config`, key: "download_base_url", optional: true },
        },
      };
  return [
    { name: "SERVICE_NAME", value: opts.service },
    { name: "CONFIG_PATH", value: CONFIG_PATH },
    { name: "SECRET_PATH", value: SECRET_PATH },
    downloadBaseUrl,
  ];
}

function isWrapped(command: string[], wrapper: string): boolean {
  return command[0] === "sh" && command[1] === "-c" && command[2] === wrapper && command[3] === WRAPPER_ARGV0;
}

function addMissing<T extends Json>(
  current: Json[] | undefined,
  wanted: T[],
  key: (item: Json) => unknown,
): Json[] {
  const list = [...(current ?? [])];
  const have = new Set(list.map(key));
  for (const item of wanted) if (!have.has(key(item))) list.push(structuredClone(item));
  return list;
}
