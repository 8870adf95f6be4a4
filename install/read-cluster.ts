import type { NodeLabels } from "./management-nodes.js";
import { SECRET_NAME } from "./options.js";

/** KubectlResult is how one kubectl run ended: its exit code, its stdout alone, and stdout and stderr together. */
export interface KubectlResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly output: string;
}

/** RunKubectl runs kubectl with optional stdin, killing it after `timeoutMs`; it never throws for a failed run. */
export type RunKubectl = (
  bin: string,
  args: readonly string[],
  options: { readonly input?: string; readonly timeoutMs: number },
) => Promise<KubectlResult>;

/**
 * ClusterRead is what the installer read of the cluster its kubectl reaches; every field is absent when there is no
 * cluster (no kubeconfig, nothing answering: a dry run goes on without one).
 */
export interface ClusterRead {
  /** nodes are the cluster's nodes and their labels; absent when they could not be listed (RBAC). */
  readonly nodes?: readonly NodeLabels[];
  /** installed is the installed Secret's data, decoded; empty when there is none. */
  readonly installed?: Readonly<Record<string, string>>;
  /** secretUnreadable is why the Secret could not be read from a cluster that answers (kubectl's message). */
  readonly secretUnreadable?: string;
}

/** Each request kubectl sends gives up after this; the run itself is killed a little later. */
const REQUEST_TIMEOUT = "10s";
const RUN_TIMEOUT_MS = 30_000;

const NODE_LABELS = 'jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.metadata.labels}{"\\n"}{end}';

/**
 * readCluster reads, with the kubectl the install applies with (so the same context), the nodes and their labels
 * and the Secret an earlier install left in `namespace`. Secret values never leave the returned data: only
 * kubectl's stderr is quoted, which names the Secret, never its content.
 */
export async function readCluster(run: RunKubectl, bin: string, namespace: string): Promise<ClusterRead> {
  const kubectl = (args: string[]) =>
    run(bin, [...args, `--request-timeout=${REQUEST_TIMEOUT}`], { timeoutMs: RUN_TIMEOUT_MS });
  const [secret, nodes] = await Promise.all([
    kubectl(["-n", namespace, "get", "secret", SECRET_NAME, "--ignore-not-found", "-o", "jsonpath={.data}"]),
    kubectl(["get", "nodes", "-o", NODE_LABELS]),
  ]);
  const listed = nodes.exitCode === 0 ? parseNodes(nodes.stdout) : undefined;
  const view = listed ? { nodes: listed } : {};
  const installed = secret.exitCode === 0 ? decodeData(secret.stdout) : undefined;
  if (installed) return { ...view, installed };
  if (secret.exitCode === 0)
    return { ...view, secretUnreadable: "kubectl printed something other than the Secret's data" };
  // Told apart from "no cluster" by the one request every client may send: /version.
  const version = await kubectl(["get", "--raw", "/version"]);
  return version.exitCode === 0 ? { ...view, secretUnreadable: firstLine(secret.output) } : {};
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0] ?? "";
}

/**
 * decodeData reads a Secret's `data` as kubectl's jsonpath prints it (a JSON object of base64 values, or nothing
 * when there is no Secret); undefined for anything else.
 */
function decodeData(stdout: string): Record<string, string> | undefined {
  if (stdout.trim() === "") return {};
  const data = parseJson(stdout);
  if (typeof data !== "object" || data === null) return undefined;
  return Object.fromEntries(
    Object.entries(data).map(([key, value]) => [key, Buffer.from(String(value), "base64").toString("utf8")]),
  );
}

/** parseNodes reads `name<TAB>{labels as JSON}` lines (nothing after the tab: no labels); undefined if malformed. */
function parseNodes(stdout: string): NodeLabels[] | undefined {
  const nodes: NodeLabels[] = [];
  for (const line of stdout.split("\n").filter((l) => l.trim() !== "")) {
    const [name = "", text = ""] = line.split("\t");
    const labels = text.trim() === "" ? {} : parseJson(text);
    if (typeof labels !== "object" || labels === null) return undefined;
    nodes.push({ name, labels: labels as Record<string, string> });
  }
  return nodes;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
