/**
 * deleteOptions is the body of a DELETE: dependents are removed in the background (as `kubectl delete` does), and
 * with a `uid` the server deletes only the object that has it, answering 409 Conflict otherwise
 * (https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/delete-options/).
 */
export function deleteOptions(uid?: string) {
  return {
    kind: "DeleteOptions",
    apiVersion: "v1",
    propagationPolicy: "Background",
    ...(uid ? { preconditions: { uid } } : {}),
  };
}
