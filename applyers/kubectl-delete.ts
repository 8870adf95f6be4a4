import { mapLimit } from "../common/map-limit.js";
import { createDiscovery, type Discovery, objectPath } from "../kube/http.js";
import { describeRef } from "../kube/objects.js";
import { ApplyerUnavailableError, type DeleteRef, type ObjectDeleteResult } from "./applyer.js";
import { deleteOptions } from "./delete-options.js";
import type { KubectlRun } from "./kubectl-run.js";

/**
 * kubectlDelete deletes refs, `concurrency` at a time, through `kubectl delete --raw` with DeleteOptions.
 *
 * `kubectl delete` has no flag for a UID precondition, and it ignores `metadata.uid` in what `-f` reads (it deleted
 * a re-created object when tried on the test cluster). `kubectl delete --raw PATH -f -` sends the body as given, so
 * deletes go there with DeleteOptions; the REST path comes from discovery read with `kubectl get --raw`, one
 * discovery per call so that its reads carry that call's signal.
 */
export async function kubectlDelete(
  kubectl: KubectlRun,
  refs: readonly DeleteRef[],
  opts: { concurrency: number; signal: AbortSignal | undefined },
): Promise<ObjectDeleteResult[]> {
  const discovery = kubectlDiscovery(kubectl, opts.signal);
  return mapLimit(refs, opts.concurrency, (ref) => deleteOne(kubectl, ref, discovery, opts.signal));
}

/** kubectlDiscovery is discovery read through `kubectl get --raw`, each read carrying `signal`. */
function kubectlDiscovery(kubectl: KubectlRun, signal: AbortSignal | undefined): Discovery {
  return createDiscovery(async (_method, path) => {
    const result = await kubectl.run(["get", "--raw", path], { signal });
    if (result.exitCode === 0) return { status: 200, body: JSON.parse(result.stdout) as unknown };
    const message = kubectl.failure(result, "get --raw");
    return { status: /\(NotFound\)/.test(message) ? 404 : 500, body: { message } };
  });
}

/** deleteOne deletes one object, with its UID as a precondition when the ref has one. */
async function deleteOne(
  kubectl: KubectlRun,
  { uid, ...ref }: DeleteRef,
  discovery: Discovery,
  signal: AbortSignal | undefined,
): Promise<ObjectDeleteResult> {
  let path: string;
  try {
    const resource = await discovery.resource(ref.apiVersion, ref.kind);
    if (!resource)
      return { ...ref, action: "not-found", message: `the server has no ${ref.kind} in ${ref.apiVersion}` };
    path = objectPath(ref.apiVersion, resource, ref.namespace, ref.name);
  } catch (error: unknown) {
    if (error instanceof ApplyerUnavailableError || signal?.aborted) throw error;
    return { ...ref, action: "failed", message: `${describeRef(ref)}: ${(error as Error).message}` };
  }
  const result = await kubectl.run(["delete", "--raw", path, "-f", "-"], {
    input: JSON.stringify(deleteOptions(uid)),
    signal,
  });
  if (result.exitCode === 0) return { ...ref, action: "deleted" };
  const message = kubectl.failure(result, "delete --raw");
  if (/\(NotFound\)|not found/i.test(message)) return { ...ref, action: "not-found", message };
  // A failed precondition: the object was deleted and re-created since it was read.
  if (uid && /\(Conflict\)/.test(message)) return { ...ref, action: "conflict", message };
  return { ...ref, action: "failed", message };
}
