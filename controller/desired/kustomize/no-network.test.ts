import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RunCommand, runProcess } from "../../../common/run.js";
import { rejection } from "../../../test/kustomize-support.js";
import type { DesiredSetError } from "../errors.js";
import { type KustomizeOptions, kustomizeBuild } from "./build.js";
import { createNetworkSandbox, type NetworkSandbox } from "./sandbox.js";

// A real HTTP server on 127.0.0.1, which Go's HTTP client reaches whatever the proxy settings say, and real
// kubectl. Each case is a kustomization that makes kustomize load a file from that server.
let server: Server;
let connections = 0;
let base: string;
let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "kustomize-no-network-"));
  server = createServer((_request, response) => {
    response.end("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {fetched: 'yes'}\n");
  });
  server.on("connection", () => {
    connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(scratch, { recursive: true, force: true });
});
beforeEach(() => {
  connections = 0;
});

/** unsandboxed runs commands as given: what is left to keep kustomize off the network is the walk alone. */
const unsandboxed: NetworkSandbox = {
  command: async (file, args) => ({ file, args, isolated: false }),
};

const cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {a: b}\n";
const indent = (text: string) =>
  text
    .trim()
    .split("\n")
    .map((line) => `  ${line}`);
const builtin = (kind: string, body: string) =>
  `apiVersion: builtin\nkind: ${kind}\nmetadata: {name: leak}\n${body}\n`;
const K = "svc/kustomization.yaml";

interface Case {
  /** tree is the repository, given the URL of the server. */
  readonly tree: (url: string) => Record<string, string>;
  readonly code: "E_KUSTOMIZE_REMOTE" | "E_KUSTOMIZE_INVALID";
  /** named is what the error must say: the file and the entry. */
  readonly named: string;
  /** fetches says kustomize, handed the case unchecked and outside the sandbox, connects to the server. */
  readonly fetches: boolean;
}

const CASES: Record<string, Case> = {
  "a multi-line inline PatchTransformer": {
    tree: (url) => ({
      [K]: [
        "resources: [cm.yaml]",
        "transformers:",
        "- |",
        ...indent(builtin("PatchTransformer", `path: ${url}`)),
      ].join("\n"),
    }),
    code: "E_KUSTOMIZE_REMOTE",
    named: `${K}: transformers[0] (PatchTransformer).path`,
    fetches: true,
  },
  "a one-line inline PatchTransformer": {
    tree: (url) => ({
      [K]: `resources: [cm.yaml]\ntransformers: ['{apiVersion: builtin, kind: PatchTransformer, metadata: {name: t}, path: "${url}"}']\n`,
    }),
    code: "E_KUSTOMIZE_REMOTE",
    named: `${K}: transformers[0] (PatchTransformer).path`,
    fetches: true,
  },
  "a plugin configuration file": {
    tree: (url) => ({
      [K]: "resources: [cm.yaml]\ntransformers: [tr.yaml]\n",
      "svc/tr.yaml": builtin("PatchStrategicMergeTransformer", `paths: ["${url}"]`),
    }),
    code: "E_KUSTOMIZE_REMOTE",
    named: "svc/tr.yaml: document 1 (PatchStrategicMergeTransformer).paths[0]",
    fetches: true,
  },
  "a kustomization of plugin configurations": {
    tree: (url) => ({
      [K]: "resources: [cm.yaml]\ntransformers: [../plugins]\n",
      "plugins/kustomization.yaml": "resources: [r.yaml]\n",
      "plugins/r.yaml": builtin("PatchTransformer", `path: ${url}`),
    }),
    code: "E_KUSTOMIZE_REMOTE",
    named: "plugins/r.yaml: document 1 (PatchTransformer).path",
    fetches: true,
  },
  "a multi-line inline generator": {
    tree: (url) => ({
      [K]: [
        "resources: [cm.yaml]",
        "generators:",
        "- |",
        ...indent(builtin("ConfigMapGenerator", `files: ["k=${url}"]`)),
      ].join("\n"),
    }),
    code: "E_KUSTOMIZE_REMOTE",
    named: `${K}: generators[0] (ConfigMapGenerator).files[0]`,
    fetches: true,
  },
  "a resource URL": {
    tree: (url) => ({ [K]: `resources: ["${url}"]\n` }),
    code: "E_KUSTOMIZE_REMOTE",
    named: `${K}: resources[0]`,
    fetches: true,
  },
  "a resource on localhost": {
    tree: (url) => ({ [K]: `resources: ["${url.replace("127.0.0.1", "localhost")}"]\n` }),
    code: "E_KUSTOMIZE_REMOTE",
    named: `${K}: resources[0]`,
    fetches: true,
  },
  "a component URL": {
    tree: (url) => ({ [K]: `resources: [cm.yaml]\ncomponents: ["${url}/org/repo"]\n` }),
    code: "E_KUSTOMIZE_REMOTE",
    named: `${K}: components[0]`,
    // A component is a directory: kustomize clones it with git, which its environment allows no transport.
    fetches: false,
  },
  "a patch path": {
    tree: (url) => ({ [K]: `resources: [cm.yaml]\npatches: [{path: "${url}"}]\n` }),
    code: "E_KUSTOMIZE_REMOTE",
    named: `${K}: patches[0].path`,
    fetches: true,
  },
  "a field in capitals": {
    tree: (url) => ({ [K]: `RESOURCES: [cm.yaml, "${url}"]\n` }),
    code: "E_KUSTOMIZE_INVALID",
    named: `${K}: RESOURCES: kustomize reads this as "resources"`,
    fetches: true,
  },
  "a patch field in capitals": {
    tree: (url) => ({ [K]: `resources: [cm.yaml]\npatches: [{PATH: "${url}"}]\n` }),
    code: "E_KUSTOMIZE_INVALID",
    named: `${K}: patches[0].PATH`,
    fetches: true,
  },
  "a plugin configuration's field in another case": {
    tree: (url) => ({
      [K]: "resources: [cm.yaml]\ntransformers: [tr.yaml]\n",
      "svc/tr.yaml": builtin("PatchTransformer", `Path: ${url}`),
    }),
    code: "E_KUSTOMIZE_INVALID",
    named: "svc/tr.yaml: document 1 (PatchTransformer).Path",
    fetches: true,
  },
  "an inline entry kustomize reads as a URL": {
    // Not a resource (no kind), so kustomize falls back to loading the entry itself as a path: a URL.
    tree: (url) => ({ [K]: `resources: [cm.yaml]\ntransformers: ["${url}/x?a: b"]\n` }),
    code: "E_KUSTOMIZE_REMOTE",
    named: `${K}: transformers[0]`,
    fetches: true,
  },
};

const files = (tree: Record<string, string>) =>
  Object.entries({ "svc/cm.yaml": cm, ...tree }).map(([path, content]) => ({ path, content }));

const options = (extra: Partial<KustomizeOptions> = {}): KustomizeOptions => ({
  allowRemote: false,
  timeoutMs: 30_000,
  tmpDir: scratch,
  ...extra,
});

/** buildEnv is the environment a build gives kubectl, captured once from a build of a plain kustomization. */
let captured: Promise<Record<string, string>> | undefined;
function buildEnv(): Promise<Record<string, string>> {
  captured ??= (async () => {
    let env: Record<string, string> = {};
    const capture: RunCommand = async (file, args, opts) => {
      env = opts?.env ?? {};
      return runProcess(file, args, opts);
    };
    const plain = files({ [K]: "resources: [cm.yaml]\n" });
    await kustomizeBuild("svc", plain, options({ run: capture, sandbox: unsandboxed }));
    return env;
  })();
  return captured;
}

/** unguardedRun runs kubectl kustomize on a tree as a build would, but without the walk. */
async function unguardedRun(tree: Record<string, string>, sandbox: NetworkSandbox) {
  const env = await buildEnv();
  const dir = await mkdtemp(join(scratch, "unguarded-"));
  for (const file of files(tree)) {
    await mkdir(dirname(join(dir, file.path)), { recursive: true });
    await writeFile(join(dir, file.path), file.content);
  }
  const command = await sandbox.command("kubectl", ["kustomize", join(dir, "svc")], env);
  return runProcess(command.file, command.args, { env: { ...env, HOME: dir }, timeoutMs: 30_000 });
}

describe("a kustomize build opens no socket", () => {
  it.each(Object.entries(CASES))("refuses %s before kustomize runs", async (_name, each) => {
    // Outside the sandbox: the walk alone must stop it.
    const error = await rejection<DesiredSetError>(
      kustomizeBuild("svc", files(each.tree(`${base}/x`)), options({ sandbox: unsandboxed })),
    );
    expect(connections).toBe(0);
    expect(error.code).toBe(each.code);
    expect(error.message).toContain(each.named);
  });

  // Proves each case above is a real fetch: kustomize, handed it unchecked, connects.
  it.each(
    Object.entries(CASES).filter(([, each]) => each.fetches),
  )("%s makes kustomize connect when the walk is skipped and there is no sandbox", async (_name, each) => {
    await unguardedRun(each.tree(`${base}/x`), unsandboxed);
    expect(connections).toBeGreaterThan(0);
  });
});

const sandbox = createNetworkSandbox();
const isolated = (await sandbox.command("true", [], { PATH: process.env.PATH ?? "" })).isolated;

describe("the network sandbox", () => {
  it.skipIf(!isolated).each(Object.entries(CASES).filter(([, each]) => each.fetches))(
    "keeps kustomize from the server for %s even when the walk is skipped",
    async (_name, each) => {
      const result = await unguardedRun(each.tree(`${base}/x`), sandbox);
      expect(connections).toBe(0);
      expect(result.exitCode).not.toBe(0);
      expect(result.stderr).toMatch(/network is unreachable|no such host|cannot assign requested address/);
    },
  );

  it("runs commands as given where the machine cannot make a network namespace", async () => {
    const missing = createNetworkSandbox({ bin: join(scratch, "no-unshare") });
    expect(await missing.command("kubectl", ["kustomize", "d"], { PATH: "/usr/bin" })).toEqual({
      file: "kubectl",
      args: ["kustomize", "d"],
      isolated: false,
    });
  });

  it("probes once, and wraps every command once it works", async () => {
    const probes: string[][] = [];
    const run: RunCommand = async (file, args) => {
      probes.push([file, ...args]);
      return { exitCode: 0, stdout: "", stderr: "" };
    };
    const working = createNetworkSandbox({ run });
    const first = await working.command("kubectl", ["kustomize", "a"], { PATH: "/bin" });
    const second = await working.command("kubectl", ["kustomize", "b"], { PATH: "/bin" });
    expect(probes).toEqual([["unshare", "--user", "--map-root-user", "--net", "--", "true"]]);
    expect([first, second]).toEqual([
      {
        file: "unshare",
        args: ["--user", "--map-root-user", "--net", "--", "kubectl", "kustomize", "a"],
        isolated: true,
      },
      {
        file: "unshare",
        args: ["--user", "--map-root-user", "--net", "--", "kubectl", "kustomize", "b"],
        isolated: true,
      },
    ]);
  });
});
