import { type RunCommand, runProcess } from "../../../common/run.js";

/** SandboxedCommand is a command as it is to be run, and whether it runs without a network. */
export interface SandboxedCommand {
  readonly file: string;
  readonly args: readonly string[];
  readonly isolated: boolean;
}

/** NetworkSandbox runs a command with no network at all, where the machine lets an unprivileged process do so. */
export interface NetworkSandbox {
  /** command is `file args` inside the sandbox, or as given when the machine has none; `env` runs the probe. */
  command(file: string, args: readonly string[], env: Record<string, string>): Promise<SandboxedCommand>;
}

/** SandboxOptions say which `unshare` to use and how to run it. */
export interface SandboxOptions {
  readonly bin?: string;
  readonly run?: RunCommand;
  /** probeTimeoutMs bounds the one run that finds out whether the sandbox works here. */
  readonly probeTimeoutMs?: number;
}

// A user namespace (mapping our uid to root inside it) lets a process without capabilities create a network
// namespace; the new one has only a loopback interface that is down, so every connect fails at once, 127.0.0.1
// included. util-linux's unshare execs the command in place, so killing the process group still kills it.
const UNSHARE_ARGS = ["--user", "--map-root-user", "--net", "--"] as const;

/**
 * createNetworkSandbox is the production {@link NetworkSandbox}: `unshare --user --map-root-user --net`. Whether
 * it works is found out once, by running `true` in it: a container runtime's default seccomp profile (Kubernetes'
 * `RuntimeDefault`) refuses the namespaces to a process without CAP_SYS_ADMIN, and some kernels disable user
 * namespaces. Where it does not work, commands run as given (`isolated: false`), offline only by their environment.
 */
export function createNetworkSandbox(options: SandboxOptions = {}): NetworkSandbox {
  const bin = options.bin ?? "unshare";
  const run = options.run ?? runProcess;
  let works: Promise<boolean> | undefined;
  const probe = async (env: Record<string, string>) => {
    const result = await run(bin, [...UNSHARE_ARGS, "true"], {
      env,
      timeoutMs: options.probeTimeoutMs ?? 10_000,
    });
    return result.exitCode === 0;
  };
  return {
    async command(file, args, env) {
      works ??= probe(env);
      if (await works) return { file: bin, args: [...UNSHARE_ARGS, file, ...args], isolated: true };
      return { file, args, isolated: false };
    },
  };
}
