import { MANAGEMENT_NODE_LABEL, MANAGEMENT_NODE_VALUE, NAME } from "./options.js";

/** NodeLabels is one node of the cluster and its labels, as the installer reads them. */
export interface NodeLabels {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** CONTROL_PLANE_LABELS mark the nodes a management node usually is (kubeadm's current and former role labels). */
const CONTROL_PLANE_LABELS = ["node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master"];
/** NAMES_SHOWN bounds the list of other nodes the warning names: a big cluster's would drown it. */
const NAMES_SHOWN = 5;

/**
 * unlabelledManagementWarning says, when no node carries the label the DaemonSet selects, that no controller pod
 * will run and gives the `kubectl label node` command that fixes it: for the control-plane nodes when the cluster
 * has some (management nodes usually are), else for the first node, naming the others. Undefined when a node is
 * labelled. Lines, without a prefix, so the caller can print them on stderr or as YAML comments.
 */
export function unlabelledManagementWarning(nodes: readonly NodeLabels[]): string[] | undefined {
  if (nodes.some((node) => node.labels[MANAGEMENT_NODE_LABEL] === MANAGEMENT_NODE_VALUE)) return undefined;
  const label = `${MANAGEMENT_NODE_LABEL}=${MANAGEMENT_NODE_VALUE}`;
  const lines = [
    `no node carries ${label}, the label the ${NAME} DaemonSet selects: no controller pod will run.`,
  ];
  if (nodes.length === 0)
    return [...lines, `The cluster has no nodes yet; once they join: kubectl label node NAME ${label}`];
  const names = nodes.map((node) => node.name).sort();
  const controlPlane = nodes
    .filter((node) => CONTROL_PLANE_LABELS.some((key) => key in node.labels))
    .map((node) => node.name)
    .sort();
  const chosen = controlPlane.length > 0 ? controlPlane : names.slice(0, 1);
  // A node whose label has another value needs --overwrite, or kubectl refuses to change it.
  const overwrite = nodes.some((node) => chosen.includes(node.name) && MANAGEMENT_NODE_LABEL in node.labels);
  lines.push(
    `Label the node${chosen.length > 1 ? "s" : ""} it should run on${controlPlane.length > 0 ? " (the control plane here)" : ""}:`,
    `  kubectl label node ${chosen.join(" ")} ${label}${overwrite ? " --overwrite" : ""}`,
  );
  const others = names.filter((name) => !chosen.includes(name));
  if (others.length > 0) {
    const shown = others.slice(0, NAMES_SHOWN).join(", ");
    const more = others.length > NAMES_SHOWN ? ` and ${others.length - NAMES_SHOWN} more` : "";
    lines.push(`Other nodes: ${shown}${more}.`);
  }
  return lines;
}
