import { execa } from "execa";
import yaml from "js-yaml";
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
    // The block must hold the rendering of the commit just made: the object it changed, with its new value.
    const changedAt = /gets the annotation (\S+): (\S+);/.exec(result.stdout);
    expect(changedAt, result.stdout).not.toBeNull();
    const [, key, value] = changedAt as RegExpExecArray;
    const objects = renderedBlock(result.stdout);
    const changed = objects.filter((o) => o.metadata?.annotations?.[key as string] === value);
    expect(
      changed.map((o) => `${o.kind}/${o.metadata?.name}`),
      result.stdout,
    ).toEqual(["Deployment/web"]);
  });

  it("exits 2 on an unknown option, naming it, without a stack trace", async () => {
    const result = await execa(process.execPath, ["--import", "tsx", DEMO, "--bogus"], { reject: false });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("--bogus");
    expect(result.stderr).toContain("--exit-after-change");
    expect(result.stderr).not.toMatch(/\bat .*demo\.ts:\d+/);
  });

  it("prints its options", async () => {
    const result = await execa(process.execPath, ["--import", "tsx", DEMO, "--help"]);
    for (const option of ["--port", "--poll", "--exit-after-change", "KUBECONFIG"])
      expect(result.stdout).toContain(option);
  });
});

interface Rendered {
  kind?: string;
  metadata?: { name?: string; annotations?: Record<string, string> };
}

/** renderedBlock parses the indented YAML the demo prints under "what would be applied:". */
function renderedBlock(stdout: string): Rendered[] {
  const lines = stdout.split("\n");
  const start = lines.findIndex((line) => line.trim() === "what would be applied:");
  if (start < 0) return [];
  const block: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith("    ")) break;
    block.push(line.slice(4));
  }
  return (yaml.loadAll(block.join("\n")) as (Rendered | null)[]).filter((o): o is Rendered => o !== null);
}
