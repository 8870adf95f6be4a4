import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { waitFor } from "./cluster.js";

const MAIN = new URL("../../controller/main.ts", import.meta.url).pathname;

/** ControllerProcess is a real `controller/main.ts` process started by a test, with its HTTP URL and its logs. */
export interface ControllerProcess {
  readonly url: string;
  readonly logs: () => { msg: string; [key: string]: unknown }[];
  readonly process: ResultPromise;
  /** stateDir is the `--state-dir` it runs with: give it to the next start to restart on the same state. */
  readonly stateDir: string;
  /** stop sends `signal` and resolves with the exit code (undefined when a signal ended the process). */
  stop(signal?: NodeJS.Signals): Promise<number | undefined>;
}

/** StartOptions: a state directory to reuse, as a restarted pod reuses its volume. */
export interface StartOptions {
  readonly stateDir?: string;
}

/**
 * startController writes `config` to a temp file and runs the controller on it as a child process (through tsx),
 * waiting until its HTTP server logs the URL it listens on. Stop removes the temp directory, which holds the state
 * only when no state directory was given (a given one belongs to the test).
 */
export async function startController(
  config: string,
  env: Record<string, string>,
  options: StartOptions = {},
): Promise<ControllerProcess> {
  const dir = await mkdtemp(join(tmpdir(), "controller-e2e-"));
  const configPath = join(dir, "gitops-config.yaml");
  const stateDir = options.stateDir ?? join(dir, "state");
  await mkdir(stateDir, { recursive: true });
  await writeFile(configPath, config);
  const child = execa(
    process.execPath,
    ["--import", "tsx", MAIN, "--config", configPath, "--state-dir", stateDir],
    {
      env,
      reject: false,
      buffer: { stdout: false, stderr: true },
      // execa follows a SIGTERM with SIGKILL after 5 s; a graceful shutdown may take the pod's whole grace period.
      forceKillAfterDelay: false,
    },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const logs = () =>
    stderr
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { msg: string; [key: string]: unknown });
  const url = await waitFor(
    async () => logs().find((line) => line.msg === "HTTP server listening")?.url as string | undefined,
    {
      timeoutMs: 60_000,
      what: "the controller's HTTP server",
      describe: () => `stderr so far: ${stderr.slice(-2000)}`,
    },
  );
  return {
    url,
    logs,
    process: child,
    stateDir,
    async stop(signal = "SIGTERM") {
      child.kill(signal);
      const result = await child;
      await rm(dir, { recursive: true, force: true });
      return result.exitCode;
    },
  };
}
