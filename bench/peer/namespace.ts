import { kubectl } from "../cluster.js";

/** ensureNamespace creates the namespace unless it exists (a rerun after an interrupted one finds it there). */
export async function ensureNamespace(kubeconfig: string, name: string): Promise<void> {
  await kubectl(
    kubeconfig,
    ["apply", "-f", "-"],
    `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${name}}\n`,
  );
}
