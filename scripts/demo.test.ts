import { execa } from "execa";
import { describe, expect, it } from "vitest";

const DEMO = new URL("./demo.ts", import.meta.url).pathname;

describe("npm run demo", () => {
  it("syncs the example repository, then detects and renders a commit within one poll, and cleans up", {
    timeout: 120_000,
  }, async () => {
    const env: Record<string, string | undefined> = { ...process.env };
    delete env.KUBECONFIG;
    const result = await execa(
      process.execPath,
      ["--import", "tsx", DEMO, "--port", "0", "--poll", "1", "--exit-after-change"],
      {
        reject: false,
        env,
        extendEnv: false,
      },
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/✔ first sync of etcd, monitoring, web at [0-9a-f]{7}/);
    expect(result.stdout).toContain("/v1/gitops/repos");
    expect(result.stdout).toMatch(/✔ detected and rendered in [\d.]+s: apps\/web\/\S+\.yaml \(service web\)/);
    expect(result.stdout).toContain("kind: Deployment");
  });

  it("prints its options", async () => {
    const result = await execa(process.execPath, ["--import", "tsx", DEMO, "--help"]);
    for (const option of ["--port", "--poll", "--exit-after-change", "KUBECONFIG"])
      expect(result.stdout).toContain(option);
  });
});
