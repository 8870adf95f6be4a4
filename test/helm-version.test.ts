import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { describe, expect, inject, it } from "vitest";
import { cachedHelmPath, PINNED_HELM_VERSION } from "../controller/desired/kustomize/helm-binary.js";

// One helm version for the controller's default lookup, the build the tests use (scripts/helm.sh) and the image (the
// Dockerfile's HELM_VERSION, checked in test/dockerfile.test.ts against the script).

const script = fileURLToPath(new URL("../scripts/helm.sh", import.meta.url));

describe("the pinned helm", () => {
  it("is the version scripts/helm.sh builds, where the controller looks for it by default", async () => {
    expect((await execa(script, ["version"])).stdout).toBe(PINNED_HELM_VERSION);
    expect((await execa(script, ["path"])).stdout).toBe(cachedHelmPath(process.env));
  });

  it("is what the tests' helm says it is", async () => {
    const { stdout } = await execa(inject("helm"), ["version", "--template", "{{.Version}}"]);
    expect(stdout).toBe(PINNED_HELM_VERSION);
  });
});
