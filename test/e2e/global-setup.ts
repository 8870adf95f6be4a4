import { fileURLToPath } from "node:url";
import { execa } from "execa";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** kubeconfig is the path of an admin kubeconfig for the test cluster; read it with `kubeconfigPath()`. */
    kubeconfig: string;
  }
}

const script = fileURLToPath(new URL("../../scripts/test-cluster.sh", import.meta.url));

async function clusterAnswers(kubeconfig: string): Promise<boolean> {
  const readyz = await execa(
    "kubectl",
    ["--kubeconfig", kubeconfig, "--request-timeout=5s", "get", "--raw", "/readyz"],
    {
      reject: false,
    },
  );
  return readyz.exitCode === 0 && readyz.stdout.trim() === "ok";
}

function kubeconfigFrom(stdout: string): string {
  const line = stdout.split("\n").find((l) => l.startsWith("KUBECONFIG="));
  if (!line) throw new Error(`scripts/test-cluster.sh printed no KUBECONFIG= line; it printed: ${stdout}`);
  return line.slice("KUBECONFIG=".length);
}

/**
 * setup gives the e2e project one real cluster for the whole run. A cluster given by `KUBECONFIG`, or one already
 * running from the script's run directory, belongs to whoever started it: it is used and never stopped. Otherwise
 * `scripts/test-cluster.sh up` builds what is missing and starts one, and the returned teardown stops it unless
 * `SIMPLE_GITOPS_KEEP_CLUSTER=1`.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const given = process.env.KUBECONFIG;
  if (given) {
    if (await clusterAnswers(given)) {
      project.provide("kubeconfig", given);
      return undefined;
    }
    process.stderr.write(
      `[e2e] KUBECONFIG=${given} does not answer /readyz: starting a test cluster instead\n`,
    );
  }

  const status = await execa(script, ["status"], { reject: false });
  if (status.exitCode === 0) {
    project.provide("kubeconfig", kubeconfigFrom(status.stdout));
    return undefined;
  }

  // stderr is inherited so the build's progress shows while it runs: the first build takes tens of minutes.
  const up = await execa(script, ["up"], { stderr: "inherit", reject: false });
  if (up.exitCode !== 0) {
    throw new Error(
      `scripts/test-cluster.sh up failed with exit code ${up.exitCode}; its log paths are printed above`,
    );
  }
  const kubeconfig = kubeconfigFrom(up.stdout);
  project.provide("kubeconfig", kubeconfig);

  return async () => {
    if (process.env.SIMPLE_GITOPS_KEEP_CLUSTER === "1") {
      process.stderr.write(`[e2e] leaving the test cluster running: export KUBECONFIG=${kubeconfig}\n`);
      return;
    }
    await execa(script, ["down"], { stderr: "inherit" });
  };
}
