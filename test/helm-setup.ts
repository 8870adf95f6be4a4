import { fileURLToPath } from "node:url";
import { execa } from "execa";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** helm is the path of the pinned helm scripts/helm.sh builds: the tests render Helm charts with it. */
    helm: string;
  }
}

const script = fileURLToPath(new URL("../scripts/helm.sh", import.meta.url));

/**
 * setup gives the tests the pinned helm (`inject("helm")`), built by `scripts/helm.sh build` the first time (3-4 min
 * on 2 cores, under a lock, so the unit and e2e projects starting together build it once) and taken from its cache
 * afterwards. A global setup has no timeout, so a cold build may take its time; its progress shows on stderr.
 */
export default async function setup(project: TestProject): Promise<void> {
  const built = await execa(script, ["build"], { stderr: "inherit", reject: false });
  if (built.exitCode !== 0)
    throw new Error(
      `scripts/helm.sh build failed with exit code ${built.exitCode}; its log is printed above`,
    );
  project.provide("helm", built.stdout.trim());
}
