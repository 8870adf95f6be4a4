import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cachedHelmPath, findHelm, isExecutableFile, PINNED_HELM_VERSION } from "./helm-binary.js";

const CACHED = `/home/me/.cache/simple-gitops/helm-${PINNED_HELM_VERSION}/bin/helm`;

/** executables answers as if exactly these paths were executable files, recording every path asked about. */
function executables(...paths: string[]) {
  const asked: string[] = [];
  const isExecutable = async (path: string) => {
    asked.push(path);
    return paths.includes(path);
  };
  return { isExecutable, asked };
}

describe("cachedHelmPath", () => {
  it.each([
    { name: "HOME's cache", env: { HOME: "/home/me" }, path: CACHED },
    {
      name: "XDG_CACHE_HOME over HOME",
      env: { HOME: "/home/me", XDG_CACHE_HOME: "/var/cache/me" },
      path: `/var/cache/me/simple-gitops/helm-${PINNED_HELM_VERSION}/bin/helm`,
    },
    { name: "nowhere without either", env: {}, path: undefined },
  ])("is under $name", ({ env, path }) => {
    expect(cachedHelmPath(env)).toBe(path);
  });
});

describe("findHelm", () => {
  const env = { HOME: "/home/me", PATH: "/usr/local/bin:relative/bin:/usr/bin" };

  it("takes the cached build before helm on PATH", async () => {
    const { isExecutable } = executables(CACHED, "/usr/bin/helm");
    expect(await findHelm(undefined, env, isExecutable)).toEqual({ found: CACHED });
  });

  it("takes the first helm on PATH when nothing is cached, skipping relative PATH entries", async () => {
    const { isExecutable, asked } = executables("relative/bin/helm", "/usr/bin/helm");
    expect(await findHelm(undefined, env, isExecutable)).toEqual({ found: "/usr/bin/helm" });
    expect(asked).toEqual([CACHED, "/usr/local/bin/helm", "/usr/bin/helm"]);
  });

  it("says where it looked when there is no helm", async () => {
    const { isExecutable } = executables();
    expect(await findHelm(undefined, env, isExecutable)).toEqual({
      missing: `helm_bin is not set, and there is no helm at ${CACHED} (where scripts/helm.sh builds it) nor on PATH`,
    });
    expect(await findHelm(undefined, { PATH: "/usr/bin" }, isExecutable)).toEqual({
      missing: "helm_bin is not set, and there is no helm on PATH",
    });
  });

  it("takes a configured path as the only candidate, however many others there are", async () => {
    const { isExecutable, asked } = executables("/opt/helm/helm", CACHED, "/usr/bin/helm");
    expect(await findHelm("/opt/helm/helm", env, isExecutable)).toEqual({ found: "/opt/helm/helm" });
    expect(await findHelm("/opt/helm/missing", env, isExecutable)).toEqual({
      missing: "helm_bin /opt/helm/missing is not an executable file",
    });
    expect(asked).toEqual(["/opt/helm/helm", "/opt/helm/missing"]);
  });

  it("looks a configured command name up in PATH only", async () => {
    const { isExecutable } = executables(CACHED, "/usr/bin/helm3");
    expect(await findHelm("helm3", env, isExecutable)).toEqual({ found: "/usr/bin/helm3" });
    expect(await findHelm("helm4", env, isExecutable)).toEqual({ missing: "helm_bin helm4 is not on PATH" });
  });
});

describe("isExecutableFile", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "helm-binary-test-"));
    await writeFile(join(dir, "exec"), "#!/bin/sh\n", { mode: 0o755 });
    await writeFile(join(dir, "plain"), "x", { mode: 0o644 });
    await mkdir(join(dir, "directory"));
    await chmod(join(dir, "directory"), 0o755);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    { name: "an executable file", path: "exec", is: true },
    { name: "a file without execute permission", path: "plain", is: false },
    { name: "a directory, which has it", path: "directory", is: false },
    { name: "nothing", path: "missing", is: false },
  ])("tells $name", async ({ path, is }) => {
    expect(await isExecutableFile(join(dir, path))).toBe(is);
  });
});
