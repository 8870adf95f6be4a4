import { inject, type TestContext } from "vitest";
import { REAL_NODE_LABEL, type RealNode } from "./real-node-lookup.js";

/**
 * requireRealNode returns the node that runs real containers. Where this machine cannot run one (not root, a Debian
 * package missing) it skips the test and says why; where it could but the cluster has none, it fails the test, so a
 * broken setup never passes as skipped.
 */
export function requireRealNode(context: TestContext): RealNode {
  const node = inject("realNode");
  if ("name" in node) return node;
  if (node.machineCanRun) throw new Error(node.missing);
  return context.skip(`no real node: ${node.missing}`);
}

/** availableRealNode returns the real node, or undefined: for a `beforeAll` that sets up only where tests will run. */
export function availableRealNode(): RealNode | undefined {
  const node = inject("realNode");
  return "name" in node ? node : undefined;
}

/**
 * onRealNode is the placement of a pod on the real node: its label, and a toleration of the taint that keeps every
 * other pod (those the KWOK tests expect on mgmt-0 and worker-0) off it.
 */
export const onRealNode = {
  nodeSelector: { [REAL_NODE_LABEL]: "true" },
  tolerations: [{ key: REAL_NODE_LABEL, operator: "Exists", effect: "NoSchedule" }],
} as const;
