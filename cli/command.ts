import type { ServerDiff } from "../applyers/server-diff.js";
import type { KubeRequest } from "../kube/http.js";
import type { ApiClient } from "./api-client.js";
import { usageError } from "./cli-error.js";

/** CliDeps are the CLI's side effects, injected so a test runs it in-process against real local servers. */
export interface CliDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** user is who runs the CLI (the OS user), sent as the actor of suspend, resume and rollback. */
  readonly user: () => string | undefined;
  readonly now: () => number;
  /** sleep waits between two reads of a followed status; it rejects when `signal` aborts. */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** signal is aborted by Ctrl-C or SIGTERM: it ends `events --follow` and stops any request in flight. */
  readonly signal: AbortSignal;
  /** kube is an apiserver client from the caller's kubeconfig (`path`, else $KUBECONFIG or ~/.kube/config). */
  readonly kube: (path: string | undefined) => KubeRequest;
  /** serverDiff compares objects with the cluster; by default the server-side dry-run diff over `kube`. */
  readonly serverDiff?: (request: KubeRequest) => ServerDiff;
}

/** Flags are the parsed command-line flags; only those given are present. */
export type Flags = Readonly<Record<string, string | boolean | undefined>>;

/** CommandInput is what a command runs with: its arguments, its flags, the deps and the controller's API. */
export interface CommandInput {
  readonly args: readonly string[];
  readonly flags: Flags;
  readonly deps: CliDeps;
  /** api connects to the controller as the flags say, or throws the usage error saying how to point at it. */
  readonly api: () => ApiClient;
}

/** FlagSpec is one flag as node:util parseArgs takes it. */
export interface FlagSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
}

/** Command is one verb of the CLI: its flags, its help and what it does. */
export interface Command {
  readonly name: string;
  /** usage is the verb's synopsis, shown in the overall help. */
  readonly usage: string;
  readonly summary: string;
  /** help is the verb's whole `--help` text. */
  readonly help: string;
  /** flags are the names of the flags it takes, from {@link FLAGS}. */
  readonly flags: readonly string[];
  run(input: CommandInput): Promise<number>;
}

/** FLAGS are every flag of every verb, each with one meaning everywhere. */
export const FLAGS = {
  server: { type: "string" },
  "kube-namespace": { type: "string" },
  "kube-service": { type: "string" },
  "kube-port": { type: "string" },
  kubeconfig: { type: "string" },
  token: { type: "string" },
  "read-token": { type: "string" },
  output: { type: "string", short: "o" },
  help: { type: "boolean", short: "h" },
  wait: { type: "boolean" },
  timeout: { type: "string" },
  reason: { type: "string" },
  actor: { type: "string" },
  to: { type: "string" },
  service: { type: "string" },
  follow: { type: "boolean", short: "f" },
  limit: { type: "string" },
  path: { type: "string" },
  config: { type: "string" },
} as const satisfies Record<string, FlagSpec>;

/** CONNECTION_FLAGS say where the controller is and how to read from it; every verb but diff takes them. */
export const CONNECTION_FLAGS = [
  "server",
  "kube-namespace",
  "kube-service",
  "kube-port",
  "kubeconfig",
  "read-token",
] as const;

/** WRITE_FLAGS are what a verb that changes something sends besides: the sync token. */
export const WRITE_FLAGS = ["token"] as const;

/** stringFlag is a string flag's value, or undefined when it was not given. */
export function stringFlag(flags: Flags, name: keyof typeof FLAGS): string | undefined {
  const value = flags[name];
  return typeof value === "string" ? value : undefined;
}

/** oneArgument is the single argument a verb takes (a service name), or the usage error naming what is missing. */
export function oneArgument(input: CommandInput, command: string, what: string): string {
  const [first, ...rest] = input.args;
  if (first === undefined || first === "") throw usageError(`${command} needs ${what}`, command);
  if (rest.length > 0) throw usageError(`${command} takes one ${what}, not also ${rest.join(" ")}`, command);
  return first;
}
