import { fileURLToPath } from "node:url";
import { execa } from "execa";
import type { TestProject } from "vitest/node";
import { findRealNode, type RealNodeAvailability } from "./real-node-lookup.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** kubeconfig is the path of an admin kubeconfig for the test cluster; read it with `kubeconfigPath()`. */
    kubeconfig: string;
    /** realNode says which node runs real containers, or why there is none; read it with `realNode()`. */
    realNode: RealNodeAvailability;
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

/** realNodeOf looks for the cluster's real node and, when it has none, asks the script whether this machine could. */
async function realNodeOf(kubeconfig: string): Promise<RealNodeAvailability> {
  const found = await findRealNode(kubeconfig);
  if (found) return found;
  const check = await execa(script, ["real-node", "check"], { reject: false });
  const availability =
    check.exitCode === 0
      ? {
          missing:
            "this machine can run a real node but the cluster has none: run scripts/test-cluster.sh up",
          machineCanRun: true,
        }
      : { missing: check.stdout.trim().split("\n").join("; ") || check.stderr.trim(), machineCanRun: false };
  // Said once here, where the default reporter shows it; each test also carries it as its skip note or failure.
  process.stderr.write(
    `[e2e] no real node (${availability.missing}): the tests on real pods ${availability.machineCanRun ? "fail" : "are skipped"}\n`,
  );
  return availability;
}

/**
 * setup gives the e2e project one real cluster for the whole run. A cluster given by `KUBECONFIG`, or one already
 * running from the script's run directory, belongs to whoever started it: it is used and never stopped. Otherwise
 * `scripts/test-cluster.sh up` builds what is missing and starts one, with a real node where the machine can run one,
 * and the returned teardown stops it unless `SIMPLE_GITOPS_KEEP_CLUSTER=1`.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const own = kubeconfigFrom((await execa(script, ["env"])).stdout);
  const given = process.env.KUBECONFIG;
  // The script's own cluster goes through `status` and `up` even when given, so that its real node is started.
  if (given && given !== own) {
    if (await clusterAnswers(given)) {
      project.provide("kubeconfig", given);
      project.provide("realNode", await realNodeOf(given));
      return undefined;
    }
    process.stderr.write(
      `[e2e] KUBECONFIG=${given} does not answer /readyz: starting a test cluster instead\n`,
    );
  }

  const status = await execa(script, ["status"], { reject: false });
  if (status.exitCode === 0) {
    const kubeconfig = kubeconfigFrom(status.stdout);
    project.provide("kubeconfig", kubeconfig);
    project.provide("realNode", await realNodeOf(kubeconfig));
    return undefined;
  }

  // A control plane that already answers was started by someone else: `up` adds what is missing (its real node),
  // and the teardown leaves it running.
  const wasRunning = await clusterAnswers(own);
  // stderr is inherited so the build's progress shows while it runs: the first build takes tens of minutes.
  const up = await execa(script, ["up"], { stderr: "inherit", reject: false });
  if (up.exitCode !== 0) {
    throw new Error(
      `scripts/test-cluster.sh up failed with exit code ${up.exitCode}; its log paths are printed above`,
    );
  }
  const kubeconfig = kubeconfigFrom(up.stdout);
  project.provide("kubeconfig", kubeconfig);
  project.provide("realNode", await realNodeOf(kubeconfig));
  if (wasRunning) return undefined;

  return async () => {
    if (process.env.SIMPLE_GITOPS_KEEP_CLUSTER === "1") {
      process.stderr.write(`[e2e] leaving the test cluster running: export KUBECONFIG=${kubeconfig}\n`);
      return;
    }
    // `down` fails when the real node left the host changed: that must fail the run, not pass unnoticed.
    await execa(script, ["down"], { stderr: "inherit" });
  };
}
