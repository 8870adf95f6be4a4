import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RunCommand, runProcess } from "../../../common/run.js";
import { rejection, webDeployment } from "../../../test/kustomize-support.js";
import type { DesiredSetError } from "../errors.js";
import { type KustomizeOptions, kustomizeBuild, MAX_BUILD_OUTPUT_BYTES } from "./build.js";
import type { NetworkSandbox } from "./sandbox.js";

// Real kubectl (the one the controller runs), real processes, a real temporary directory per test.
let scratch: string;
let checkouts: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "kustomize-build-test-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});
let n = 0;
beforeEach(async () => {
  checkouts = join(scratch, `checkouts-${n++}`);
  await mkdir(checkouts);
});

const options = (extra: Partial<KustomizeOptions> = {}): KustomizeOptions => ({
  allowRemote: false,
  timeoutMs: 30_000,
  tmpDir: checkouts,
  ...extra,
});
const files = (tree: Record<string, string>) =>
  Object.entries(tree).map(([path, content]) => ({ path, content }));

const deployment = webDeployment();

/** unsandboxed runs commands as given; sandboxed records what it was asked to run in the sandbox. */
const unsandboxed: NetworkSandbox = { command: async (file, args) => ({ file, args, isolated: false }) };
function sandboxed() {
  const asked: { file: string; args: readonly string[]; env: Record<string, string> }[] = [];
  const sandbox: NetworkSandbox = {
    command: async (file, args, env) => {
      asked.push({ file, args, env });
      return { file: "env", args: ["SANDBOXED=1", file, ...args], isolated: true };
    },
  };
  return { sandbox, asked };
}

const overlayRepo = {
  "base/kustomization.yaml": "resources: [deploy.yaml]\n",
  "base/deploy.yaml": deployment,
  "overlays/dev/kustomization.yaml": [
    "resources: [../../base]",
    "namePrefix: dev-",
    "patches: [{path: replicas.yaml}]",
    "configMapGenerator: [{name: settings, files: [app.properties], literals: [MODE=dev]}]",
  ].join("\n"),
  "overlays/dev/replicas.yaml":
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 3}\n",
  "overlays/dev/app.properties": "color=blue\n",
};

/** recording is runProcess that also records each call, and what the checkout looked like during it. */
function recording(inner: RunCommand = runProcess) {
  const calls: { file: string; args: readonly string[]; env: Record<string, string>; mode?: number }[] = [];
  const run: RunCommand = async (file, args, opts) => {
    const target = args.at(-1) ?? "";
    const checkout = join(checkouts, (await readdir(checkouts))[0] ?? "");
    calls.push({
      file,
      args,
      env: opts?.env ?? {},
      mode: (await stat(checkout)).mode & 0o777,
    });
    expect(target.startsWith(checkout)).toBe(true);
    return inner(file, args, opts);
  };
  return { run, calls };
}

describe("kustomizeBuild", () => {
  it("builds exactly what kubectl kustomize builds from the same files, and removes its checkout", async () => {
    const built = await kustomizeBuild("overlays/dev", files(overlayRepo), options());
    // The same tree written by the test, built by hand.
    const byHand = join(scratch, "by-hand");
    for (const [path, content] of Object.entries(overlayRepo)) {
      await mkdir(dirname(join(byHand, path)), { recursive: true });
      await writeFile(join(byHand, path), content);
    }
    const expected = await execa("kubectl", ["kustomize", join(byHand, "overlays/dev")]);
    expect(built.text).toBe(`${expected.stdout}\n`);
    expect(built.root).toBe("overlays/dev/kustomization.yaml");
    expect(built.text).toMatch(/name: dev-settings-[a-z0-9]+/);
    expect(await readdir(checkouts)).toEqual([]);
  });

  it("runs kubectl kustomize on a private checkout, with PATH, no plugins, and nothing else of our environment", async () => {
    const { run, calls } = recording();
    await kustomizeBuild(
      "overlays/dev",
      files(overlayRepo),
      options({
        run,
        sandbox: unsandboxed,
        env: { PATH: process.env.PATH ?? "", GITHUB_TOKEN: "secret", KUBECONFIG: "/k" },
      }),
    );
    expect(calls).toHaveLength(1);
    expect(calls[0]?.file).toBe("kubectl");
    expect(calls[0]?.args.slice(0, -1)).toEqual(["kustomize"]);
    expect(calls[0]?.args.at(-1)).toMatch(/\/overlays\/dev$/);
    expect(calls[0]?.mode).toBe(0o700);
    const env = calls[0]?.env ?? {};
    expect(Object.values(env)).not.toContain("secret");
    expect(env.KUBECONFIG).toBeUndefined();
    expect(env.HTTPS_PROXY).toBe("http://127.0.0.1:9");
    expect(env.GIT_ALLOW_PROTOCOL).toBe("none");
  });

  it("runs kubectl kustomize in the network sandbox, with the build's environment", async () => {
    const { run, calls } = recording();
    const { sandbox, asked } = sandboxed();
    const built = await kustomizeBuild("overlays/dev", files(overlayRepo), options({ run, sandbox }));
    expect(asked).toHaveLength(1);
    expect([asked[0]?.file, ...(asked[0]?.args.slice(0, -1) ?? [])]).toEqual(["kubectl", "kustomize"]);
    expect(asked[0]?.env.HTTPS_PROXY).toBe("http://127.0.0.1:9");
    expect([calls[0]?.file, calls[0]?.args[0]]).toEqual(["env", "SANDBOXED=1"]);
    expect(built.text).toContain("name: dev-web");
  });

  it("runs kubectl kustomize outside the sandbox when remote bases are allowed: they need the network", async () => {
    const { run, calls } = recording(async () => ({ exitCode: 0, stdout: "", stderr: "" }));
    const { sandbox, asked } = sandboxed();
    await kustomizeBuild(
      "svc",
      files({ "svc/kustomization.yaml": "resources: [https://example.com/x.yaml]\n" }),
      options({ run, sandbox, allowRemote: true }),
    );
    expect(asked).toEqual([]);
    expect(calls[0]?.file).toBe("kubectl");
  });

  it("builds a kustomization at the repository root", async () => {
    const built = await kustomizeBuild(
      "",
      files({ "kustomization.yaml": "resources: [deploy.yaml]\n", "deploy.yaml": deployment }),
      options(),
    );
    expect(built.root).toBe("kustomization.yaml");
    expect(built.text).toContain("name: web");
  });

  it("refuses a remote base before running anything, naming the file, the entry, the URL and the switch", async () => {
    const { run, calls } = recording();
    const url = "github.com/org/repo//deploy?ref=v1";
    const error = await rejection<DesiredSetError>(
      kustomizeBuild(
        "overlays/dev",
        files({ ...overlayRepo, "overlays/dev/kustomization.yaml": `resources: [../../base, "${url}"]\n` }),
        options({ run }),
      ),
    );
    expect(calls).toEqual([]);
    expect(error.code).toBe("E_KUSTOMIZE_REMOTE");
    expect(error.subject).toBe("overlays/dev/kustomization.yaml");
    expect(error.message).toContain(`overlays/dev/kustomization.yaml: resources[1]: ${url}`);
    expect(error.message).toContain("allow_remote_bases: true");
    expect(await readdir(checkouts)).toEqual([]);
  });

  it("lets kustomize fetch remote bases when allowed, with our proxies and no offline settings", async () => {
    const { run, calls } = recording(async () => ({ exitCode: 0, stdout: "", stderr: "" }));
    await kustomizeBuild(
      "svc",
      files({ "svc/kustomization.yaml": "resources: [https://example.com/x.yaml]\n" }),
      options({
        run,
        allowRemote: true,
        env: { PATH: "/bin", HTTPS_PROXY: "http://proxy:3128", HOME: "/h" },
      }),
    );
    expect(calls[0]?.env).toEqual({
      PATH: "/bin",
      HOME: "/h",
      HTTPS_PROXY: "http://proxy:3128",
      GIT_TERMINAL_PROMPT: "0",
    });
  });

  // Proves the environment itself blocks fetches: kustomize is run directly on a remote reference the walk would
  // have refused, as a field the walk did not know about would reach it.
  it("gives kustomize an environment in which remote fetches fail at once", async () => {
    const { run, calls } = recording();
    await kustomizeBuild("svc", files({ "svc/kustomization.yaml": "resources: []\n" }), options({ run }));
    const env = calls[0]?.env ?? {};
    for (const [resource, refusal] of [
      ["https://example.com/x.yaml", "proxyconnect tcp: dial tcp 127.0.0.1:9"],
      ["github.com/org/repo//deploy?ref=v1", "transport 'https' not allowed"],
      ["git@github.com:org/repo//deploy?ref=v1", "transport 'ssh' not allowed"],
    ] as const) {
      const dir = await mkdtemp(join(scratch, "remote-"));
      await writeFile(join(dir, "kustomization.yaml"), `resources: ["${resource}"]\n`);
      const result = await runProcess("kubectl", ["kustomize", dir], {
        env: { ...env, HOME: dir },
        timeoutMs: 20_000,
      });
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain(refusal);
    }
  });

  it("never runs a kustomize exec function or plugin: the walk refuses it, and so does kustomize", async () => {
    const marker = join(scratch, "exec-ran");
    const tree = {
      "svc/kustomization.yaml": "resources: [cm.yaml]\ntransformers: [fn.yaml]\n",
      "svc/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
      "svc/fn.yaml": [
        "apiVersion: example.com/v1",
        "kind: Evil",
        "metadata:",
        "  name: evil",
        "  annotations:",
        "    config.kubernetes.io/function: |",
        "      exec: {path: ./fn.sh}",
      ].join("\n"),
      "svc/fn.sh": `#!/bin/sh\ntouch ${marker}\ncat\n`,
    };
    const error = await rejection<DesiredSetError>(kustomizeBuild("svc", files(tree), options()));
    expect(error.code).toBe("E_KUSTOMIZE_INVALID");
    expect(error.reason).toContain(
      'document 1 (Evil): apiVersion "example.com/v1": only kustomize\'s builtin plugins run',
    );
    // kustomize as the build runs it (no --enable-alpha-plugins, --enable-exec) refuses it on its own.
    const dir = join(scratch, "exec-by-hand");
    for (const [path, content] of Object.entries(tree)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content, { mode: 0o755 });
    }
    const byHand = await runProcess("kubectl", ["kustomize", join(dir, "svc")], { timeoutMs: 20_000 });
    expect(byHand.stderr).toContain("external plugins disabled");
    await expect(stat(marker)).rejects.toThrow(/ENOENT/);
  });

  it("fails with kustomize's own message, in repository paths, naming the kustomization", async () => {
    const error = await rejection<DesiredSetError>(
      kustomizeBuild(
        "overlays/dev",
        files({
          ...overlayRepo,
          "overlays/dev/kustomization.yaml": "resources: [../../base, missing.yaml]\n",
        }),
        options(),
      ),
    );
    expect(error.code).toBe("E_KUSTOMIZE_BUILD");
    expect(error.subject).toBe("overlays/dev/kustomization.yaml");
    expect(error.reason).toMatch(/^kustomize build failed: accumulating resources/);
    expect(error.reason).toContain("'overlays/dev/missing.yaml'");
    expect(error.reason).not.toContain(checkouts);
    expect(error.reason).not.toContain("command failed");
    expect(await readdir(checkouts)).toEqual([]);
  });

  it("stops a build past its timeout and removes its checkout", async () => {
    const slow = join(scratch, "slow-kubectl");
    await writeFile(slow, "#!/bin/sh\nexec sleep 30\n");
    await chmod(slow, 0o755);
    const error = await rejection<DesiredSetError>(
      kustomizeBuild("svc", files({ "svc/kustomization.yaml": "" }), options({ bin: slow, timeoutMs: 200 })),
    );
    expect(error.code).toBe("E_KUSTOMIZE_BUILD");
    expect(error.reason).toBe("kustomize build failed: timed out after 200 ms");
    expect(await readdir(checkouts)).toEqual([]);
  });

  it("rejects with the signal's reason when aborted mid-build, and removes its checkout", async () => {
    const slow = join(scratch, "slow-kubectl-2");
    await writeFile(slow, "#!/bin/sh\nexec sleep 30\n");
    await chmod(slow, 0o755);
    const aborter = new AbortController();
    const reason = new Error("leadership lost");
    const run: RunCommand = (file, args, opts) => {
      const running = runProcess(file, args, opts);
      aborter.abort(reason);
      return running;
    };
    const outcome = await kustomizeBuild(
      "svc",
      files({ "svc/kustomization.yaml": "" }),
      options({ bin: slow, run }),
      aborter.signal,
    ).catch((error: unknown) => error);
    expect(outcome).toBe(reason);
    expect(await readdir(checkouts)).toEqual([]);
  });

  it("stops a build whose output passes the budget", async () => {
    const error = await rejection<DesiredSetError>(
      kustomizeBuild("svc", files({ "svc/kustomization.yaml": "" }), options({ bin: "yes" })),
    );
    expect(error.reason).toBe(
      `kustomize build failed: the build printed more than ${MAX_BUILD_OUTPUT_BYTES / 1024 / 1024} MiB (the size budget of a build) and was stopped`,
    );
  });

  it("says when kubectl cannot be started", async () => {
    const error = await rejection<DesiredSetError>(
      kustomizeBuild(
        "svc",
        files({ "svc/kustomization.yaml": "" }),
        options({ bin: join(scratch, "no-kubectl"), sandbox: unsandboxed }),
      ),
    );
    expect(error.reason).toMatch(/^kustomize build failed: cannot start .*no-kubectl: ENOENT$/);
  });
});
