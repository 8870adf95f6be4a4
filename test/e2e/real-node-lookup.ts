import { execa } from "execa";

/** REAL_NODE_LABEL labels and taints (NoSchedule) the node that runs real containers (scripts/real-node.sh). */
export const REAL_NODE_LABEL = "node.simple-gitops.io/real";

/** RealNode is a Ready node running real containers; `hostIp` is its InternalIP, where pods reach the host. */
export interface RealNode {
  readonly name: string;
  readonly hostIp: string;
}

/**
 * RealNodeAvailability is the real node, or why there is none; `machineCanRun` says that this machine could run one,
 * so its absence is a broken setup rather than a machine without root or packages.
 */
export type RealNodeAvailability = RealNode | { readonly missing: string; readonly machineCanRun: boolean };

interface NodeList {
  items: {
    metadata: { name: string };
    status?: {
      addresses?: { type: string; address: string }[];
      conditions?: { type: string; status: string }[];
    };
  }[];
}

/** findRealNode returns the first Ready node labelled {@link REAL_NODE_LABEL}=true, or undefined. */
export async function findRealNode(kubeconfig: string): Promise<RealNode | undefined> {
  const { stdout } = await execa("kubectl", [
    "--kubeconfig",
    kubeconfig,
    "--request-timeout=10s",
    "get",
    "nodes",
    "-l",
    `${REAL_NODE_LABEL}=true`,
    "-o",
    "json",
  ]);
  for (const node of (JSON.parse(stdout) as NodeList).items) {
    const ready = node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
    const hostIp = node.status?.addresses?.find((a) => a.type === "InternalIP")?.address;
    if (ready && hostIp) return { name: node.metadata.name, hostIp };
  }
  return undefined;
}
