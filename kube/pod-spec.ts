import { groupOf, type KubeObject } from "./objects.js";

/** Json is a JSON object read from git: nothing about its fields is trusted. */
export type Json = Record<string, unknown>;

/** asRecord is `value` when it is a JSON object, else undefined. */
export const asRecord = (value: unknown): Json | undefined =>
  value && typeof value === "object" && !Array.isArray(value) ? (value as Json) : undefined;

/** asArray is the JSON objects of `value` when it is a list, else empty. */
export const asArray = (value: unknown): Json[] =>
  Array.isArray(value) ? value.map(asRecord).filter((v): v is Json => v !== undefined) : [];

/**
 * podSpecOf finds the pod spec of every built-in kind that runs pods (or templates them), at whatever depth its kind
 * keeps it, in any version of its group.
 */
export function podSpecOf(object: KubeObject): Json | undefined {
  const spec = asRecord(object.spec);
  const templateSpec = (owner: Json | undefined) => asRecord(asRecord(owner?.template)?.spec);
  switch (`${groupOf(object.apiVersion)}/${object.kind}`) {
    case "/Pod":
      return spec;
    case "/PodTemplate":
      return templateSpec(object);
    case "/ReplicationController":
    case "apps/Deployment":
    case "apps/StatefulSet":
    case "apps/DaemonSet":
    case "apps/ReplicaSet":
    case "extensions/Deployment":
    case "extensions/DaemonSet":
    case "extensions/ReplicaSet":
    case "batch/Job":
      return templateSpec(spec);
    case "batch/CronJob":
      return templateSpec(asRecord(asRecord(spec?.jobTemplate)?.spec));
    default:
      return undefined;
  }
}

/**
 * effectiveServiceAccount is the ServiceAccount a pod spec runs as, computed as the apiserver computes it: the
 * deprecated `serviceAccount` is used whenever `serviceAccountName` is empty (Convert_v1_PodSpec_To_core_PodSpec),
 * and the admission plugin fills in `default` when both are.
 */
export function effectiveServiceAccount(pod: Json): string {
  const named = pod.serviceAccountName;
  if (typeof named === "string" && named !== "") return named;
  const deprecated = pod.serviceAccount;
  if (typeof deprecated === "string" && deprecated !== "") return deprecated;
  return "default";
}

/**
 * secretReferencePath is the path of the first place in a pod spec that names the Secret `secret` (volumes of any
 * plugin, projected sources, env, envFrom, imagePullSecrets, a CSI driver's secret refs, ...), or undefined. Any
 * field whose name mentions a secret counts, so a volume plugin added later is covered too.
 */
export function secretReferencePath(pod: Json, secret: string): string | undefined {
  const visit = (value: unknown, path: string, underSecretKey: boolean): string | undefined => {
    if (underSecretKey && value === secret) return path;
    if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) {
        const found = visit(item, `${path}[${index}]`, underSecretKey);
        if (found) return found;
      }
      return undefined;
    }
    const record = asRecord(value);
    if (!record) return undefined;
    for (const [key, child] of Object.entries(record)) {
      const secretKey = /secret/i.test(key);
      const named = underSecretKey && (key === "name" || key === "secretName");
      const found = visit(child, path ? `${path}.${key}` : key, secretKey || named);
      if (found) return found;
    }
    return undefined;
  };
  return visit(pod, "", false);
}
