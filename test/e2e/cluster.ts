import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { inject } from "vitest";

/** kubeconfigPath returns the admin kubeconfig of the cluster the e2e global setup started or reused. */
export function kubeconfigPath(): string {
  return inject("kubeconfig");
}

/** KubectlOptions are the per-call options of `kubectl`. */
export interface KubectlOptions {
  /** input is written to kubectl's stdin, e.g. manifests for `apply -f -`. */
  input?: string;
}

/**
 * kubectl runs the real kubectl against the test cluster and resolves with its stdout; a non-zero exit rejects with
 * an error that carries the command and its stderr.
 */
export async function kubectl(args: readonly string[], options: KubectlOptions = {}): Promise<string> {
  const result = await execa("kubectl", ["--kubeconfig", kubeconfigPath(), ...args], {
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  return result.stdout;
}

/** kubectlJson runs kubectl with `-o json` appended and parses what it prints. */
export async function kubectlJson<T>(args: readonly string[]): Promise<T> {
  return JSON.parse(await kubectl([...args, "-o", "json"])) as T;
}

/** WaitForOptions bound a `waitFor` poll. */
export interface WaitForOptions {
  timeoutMs: number;
  /** intervalMs is the pause between two checks; 250 ms unless given. */
  intervalMs?: number;
  /** what names the awaited condition in the timeout error. */
  what?: string;
  /** describe adds what was seen to the timeout error, read when it times out (logs, the last state). */
  describe?: () => Promise<string> | string;
}

/**
 * waitFor calls `check` until it returns a value other than `undefined` or `false`, and resolves with that value.
 * A check that throws counts as "not yet"; the last error becomes the cause of the timeout error.
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false>,
  { timeoutMs, intervalMs = 250, what = "condition", describe }: WaitForOptions,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const seen = describe
        ? `; ${await Promise.resolve(describe()).catch((error: unknown) => String(error))}`
        : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${seen}`, { cause: lastError });
    }
    await sleep(intervalMs);
  }
}

/** TestNamespace is a namespace created for one test file, and the way to remove it. */
export interface TestNamespace {
  name: string;
  cleanup: () => Promise<void>;
}

/**
 * createTestNamespace creates a namespace with a unique name starting with `prefix` and waits for its `default`
 * ServiceAccount, without which the apiserver rejects pods and controllers back off.
 */
export async function createTestNamespace(prefix: string): Promise<TestNamespace> {
  const name = `${prefix.toLowerCase().slice(0, 50)}-${randomBytes(4).toString("hex")}`;
  await kubectl(["create", "namespace", name]);
  await waitFor(
    async () => (await kubectl(["-n", name, "get", "serviceaccount", "default", "-o", "name"])) !== "",
    {
      timeoutMs: 30_000,
      what: `the default ServiceAccount in namespace ${name}`,
    },
  );
  return {
    name,
    // Not waiting for the namespace to finish terminating: nothing later depends on it being gone.
    cleanup: async () => {
      await kubectl(["delete", "namespace", name, "--wait=false", "--ignore-not-found"]);
    },
  };
}
