/**
 * Fixtures for the kustomize tests (unit and e2e): a small Deployment, and a way to catch a build's error.
 * Nothing in the controller imports this file.
 */

/** webDeployment is Deployment `web` of one nginx container; `configMap` makes it read its env from that ConfigMap. */
export function webDeployment(image = "nginx", configMap?: string): string {
  const container = [
    "        - name: web",
    `          image: ${image}`,
    ...(configMap ? [`          envFrom: [{ configMapRef: { name: ${configMap} } }]`] : []),
  ];
  return [
    "apiVersion: apps/v1",
    "kind: Deployment",
    "metadata: { name: web }",
    "spec:",
    "  replicas: 1",
    "  selector: { matchLabels: { app: web } }",
    "  template:",
    "    metadata: { labels: { app: web } }",
    "    spec:",
    "      containers:",
    ...container,
    "",
  ].join("\n");
}

/** rejection is the error a promise rejects with; it fails the test when the promise resolves instead. */
export async function rejection<E = Error>(run: Promise<unknown>): Promise<E> {
  const outcome = await run.then(
    () => ({ resolved: true as const }),
    (error: unknown) => ({ resolved: false as const, error }),
  );
  if (outcome.resolved) throw new Error("expected a rejection, the promise resolved");
  return outcome.error as E;
}
