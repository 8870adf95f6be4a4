import { describe, expect, it } from "vitest";
import { type NodeLabels, unlabelledManagementWarning } from "./management-nodes.js";

const MGMT = "node-role.nokube.io/management";
const node = (name: string, labels: Record<string, string> = {}): NodeLabels => ({ name, labels });
const commandOf = (lines: string[] | undefined) =>
  lines?.find((line) => line.trim().startsWith("kubectl "))?.trim();

describe("unlabelledManagementWarning", () => {
  it("says nothing when a node carries the management label with the value the DaemonSet selects", () => {
    expect(unlabelledManagementWarning([node("a"), node("b", { [MGMT]: "true" })])).toBeUndefined();
  });

  it.each([
    [
      "the first node by name when there is no control plane",
      [node("w-2"), node("w-1")],
      "kubectl label node w-1 node-role.nokube.io/management=true",
    ],
    [
      "every control-plane node in one command",
      [
        node("w-1"),
        node("cp-2", { "node-role.kubernetes.io/control-plane": "" }),
        node("cp-1", { "node-role.kubernetes.io/master": "" }),
      ],
      "kubectl label node cp-1 cp-2 node-role.nokube.io/management=true",
    ],
    [
      "--overwrite for a node whose label has another value",
      [node("a", { [MGMT]: "false" })],
      "kubectl label node a node-role.nokube.io/management=true --overwrite",
    ],
  ])("gives the label command for %s", (_name, nodes, command) => {
    const lines = unlabelledManagementWarning(nodes);
    expect(lines?.[0]).toContain(`no node carries ${MGMT}=true`);
    expect(commandOf(lines)).toBe(command);
  });

  it("names the other nodes, at most five", () => {
    const nodes = ["n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8"].map((name) => node(name));
    expect(unlabelledManagementWarning(nodes)?.at(-1)).toBe("Other nodes: n2, n3, n4, n5, n6 and 2 more.");
  });

  it("says the cluster has no nodes yet, with the command to run once they join", () => {
    expect(commandOf(unlabelledManagementWarning([]))).toBeUndefined();
    expect(unlabelledManagementWarning([])?.at(-1)).toBe(
      `The cluster has no nodes yet; once they join: kubectl label node NAME ${MGMT}=true`,
    );
  });
});
