import { tmpdir } from "node:os";
import {
  childEnv,
  DEFAULT_RUN_TIMEOUT_MS,
  type EnvSource,
  formatTimeout,
  PROXY_ENV,
  type RunCommand,
  type RunResult,
  runProcess,
} from "../../../common/run.js";
import type { Config } from "../../config/types.js";
import { DesiredSetError } from "../errors.js";
import { formatMiB, MAX_EXPANDED_BYTES_PER_FILE } from "../render/parse.js";
import { type KustomizeClosure, walkKustomization } from "./closure.js";
import { findHelm } from "./helm-binary.js";
import { chartName, helmFailure, helmNotFound } from "./helm-failure.js";
import { withCheckout } from "./materialise.js";
import { kustomizeMessage } from "./message.js";
import { createNetworkSandbox, type NetworkSandbox } from "./sandbox.js";

/** KustomizeOptions are the settings of every kustomize build; main derives them from the config. */
export interface KustomizeOptions {
  /** allowRemote is the config's `allow_remote_bases`: off, a remote base, resource or chart fails the service. */
  readonly allowRemote: boolean;
  /** timeoutMs bounds one build (the config's `apply_timeout`). */
  readonly timeoutMs: number;
  /** bin is the kubectl whose built-in kustomize builds (`kubectl` on PATH, the one the kubectl applyer runs). */
  readonly bin?: string;
  /**
   * helmBin is the config's `helm_bin`, the helm that renders a kustomization's `helmCharts`; unset, the build
   * scripts/helm.sh caches, then `helm` on PATH ({@link findHelm}).
   */
  readonly helmBin?: string;
  readonly run?: RunCommand;
  /** env is where PATH (and, with remote bases allowed, HOME and proxies) come from; `process.env` by default. */
  readonly env?: EnvSource;
  /** tmpDir is where each build's private checkout is made; the system's temporary directory by default. */
  readonly tmpDir?: string;
  /** sandbox runs kustomize without a network unless remote bases are allowed; one shared per process by default. */
  readonly sandbox?: NetworkSandbox;
}

/** One per process: whether the machine allows the sandbox is found out once, at the first build. */
const SHARED_SANDBOX = createNetworkSandbox();

/** DEFAULT_KUSTOMIZE_OPTIONS are used where no config is at hand: remote bases refused. */
export const DEFAULT_KUSTOMIZE_OPTIONS: KustomizeOptions = {
  allowRemote: false,
  timeoutMs: DEFAULT_RUN_TIMEOUT_MS,
};

/**
 * kustomizeOptions are a config's build settings: `allow_remote_bases`, `helm_bin`, and `apply_timeout` bounds each
 * build.
 */
export function kustomizeOptions(
  config: Pick<Config, "allowRemoteBases" | "applyTimeoutSeconds" | "helmBin">,
): KustomizeOptions {
  return {
    allowRemote: config.allowRemoteBases,
    timeoutMs: config.applyTimeoutSeconds * 1000,
    ...(config.helmBin === undefined ? {} : { helmBin: config.helmBin }),
  };
}

/**
 * MAX_BUILD_OUTPUT_BYTES bounds what one build may print: the per-file budget its output is then parsed within, so
 * a build that would not parse is stopped while it prints instead of held in memory whole.
 */
export const MAX_BUILD_OUTPUT_BYTES = MAX_EXPANDED_BYTES_PER_FILE;

/** BuiltSet is a build's output (multi-document YAML) and the kustomization file it is attributed to. */
export interface BuiltSet {
  readonly root: string;
  readonly text: string;
}

// Refused remote fetches fail at once, whatever kustomize tries: HTTP through a proxy that is not there, git with
// no transport allowed (https://git-scm.com/docs/git#Documentation/git.txt-GITALLOWPROTOCOL), and never a prompt.
// Go never proxies loopback (localhost, 127.0.0.0/8, ::1) whatever NO_PROXY says: only the walk, and the network
// sandbox where the machine has one, keep kustomize from 127.0.0.1.
const OFFLINE_ENV = {
  HTTPS_PROXY: "http://127.0.0.1:9",
  https_proxy: "http://127.0.0.1:9",
  HTTP_PROXY: "http://127.0.0.1:9",
  http_proxy: "http://127.0.0.1:9",
  NO_PROXY: "",
  no_proxy: "",
  GIT_ALLOW_PROTOCOL: "none",
};

/**
 * kustomizeBuild builds the kustomization of `dir` with `kubectl kustomize`, on `files` (every file of the
 * repository the build may read, at one commit) written to a private temporary checkout that is removed afterwards.
 * Before anything runs, the walk ({@link walkKustomization}) reads everything the build may load and refuses what it
 * cannot vouch for, and every URL it meets unless `allowRemote`; plugins other than kustomize's builtins and exec
 * functions are never enabled (no `--enable-alpha-plugins`, `--enable-exec`). Helm is enabled only for a build that
 * renders charts (`helmCharts`), with the helm {@link findHelm} finds (`E_HELM_NOT_FOUND` without one); it runs as
 * kustomize's child, inside the same sandbox, deadline and output budget. Without `allowRemote`, kubectl also runs
 * in the network sandbox where the machine has one. kubectl gets PATH and nothing else of the controller's
 * environment: no kubeconfig, no token. A failed build is an `E_KUSTOMIZE_BUILD` error carrying kustomize's own
 * message, or `E_HELM_RENDER` with helm's when helm failed, with repository paths in place of the checkout's.
 */
export async function kustomizeBuild(
  dir: string,
  files: readonly { readonly path: string; readonly content: string }[],
  options: KustomizeOptions,
  signal?: AbortSignal,
): Promise<BuiltSet> {
  const texts = new Map(files.map((file) => [file.path, file.content]));
  const closure = await walkKustomization(dir, files, async (path) => texts.get(path) ?? "");
  if (!closure) throw new DesiredSetError("E_KUSTOMIZE_INVALID", dir, "the directory holds no kustomization");
  const { root } = closure;
  if (closure.remote.length > 0 && !options.allowRemote) {
    const refs = closure.remote.map((ref) => `${ref.file}: ${ref.field}: ${ref.url}`);
    throw new DesiredSetError(
      "E_KUSTOMIZE_REMOTE",
      closure.remote[0]?.file ?? root,
      `remote bases, resources, files and chart repositories are not fetched (${refs.join("; ")}); nothing of the service was applied. Vendor them into the repository (a chart under the kustomization's chart home, without repo:), or set \`allow_remote_bases: true\` in the config to let kustomize fetch them.`,
    );
  }
  const source = options.env ?? process.env;
  const helm = await helmFor(closure, options.helmBin, source);
  const env = {
    ...childEnv(source, options.allowRemote ? ["PATH", "HOME", ...PROXY_ENV] : ["PATH"]),
    GIT_TERMINAL_PROMPT: "0",
  };
  return withCheckout(files, options.tmpDir ?? tmpdir(), async (checkout) => {
    const target = dir === "" ? checkout : `${checkout}/${dir}`;
    const bin = options.bin ?? "kubectl";
    const args = [
      "kustomize",
      ...(helm === undefined ? [] : ["--enable-helm", "--helm-command", helm]),
      target,
    ];
    // Without a home of its own, git would read the controller's ~/.gitconfig (and its credential helpers).
    const runEnv = options.allowRemote ? env : { ...env, HOME: checkout, ...OFFLINE_ENV };
    const command = options.allowRemote
      ? { file: bin, args }
      : await (options.sandbox ?? SHARED_SANDBOX).command(bin, args, runEnv);
    const result = await (options.run ?? runProcess)(command.file, command.args, {
      timeoutMs: options.timeoutMs,
      maxStdoutBytes: MAX_BUILD_OUTPUT_BYTES,
      env: runEnv,
      ...(signal ? { signal } : {}),
    });
    const failure = describeFailure(result, options);
    if (failure === undefined) return { root, text: result.stdout };
    // A deadline or the output budget passed is the build's, whoever was running; only an exit says who failed.
    const exited = !result.spawnError && !result.timedOut && !result.stdoutOverflow;
    const helmError =
      helm === undefined || !exited ? undefined : helmFailure(failure, closure.charts, helm, checkout);
    if (helmError) throw helmError;
    throw new DesiredSetError(
      "E_KUSTOMIZE_BUILD",
      root,
      `kustomize build failed: ${kustomizeMessage(failure, checkout)}${rendering(closure)}`,
    );
  });
}

/** helmFor is the helm a build's charts are rendered with, undefined for a build that renders none. */
async function helmFor(
  closure: KustomizeClosure,
  configured: string | undefined,
  env: EnvSource,
): Promise<string | undefined> {
  const [first] = closure.charts;
  if (first === undefined) return undefined;
  const lookup = await findHelm(configured, env);
  if ("missing" in lookup) throw helmNotFound(first, lookup.missing);
  return lookup.found;
}

/** rendering names the charts a failed build was rendering: a budget passed may have been passed by helm. */
function rendering(closure: KustomizeClosure): string {
  if (closure.charts.length === 0) return "";
  return ` (the build renders ${closure.charts.map((chart) => `${chart.file} ${chartName(chart)}`).join(", ")})`;
}

/** describeFailure is why a run did not build, or undefined when it did. */
function describeFailure(result: RunResult, options: KustomizeOptions): string | undefined {
  if (result.spawnError) return `cannot start ${options.bin ?? "kubectl"}: ${result.spawnError}`;
  if (result.stdoutOverflow)
    return `the build printed more than ${formatMiB(MAX_BUILD_OUTPUT_BYTES)} (the size budget of a build) and was stopped`;
  if (result.timedOut) return `timed out after ${formatTimeout(options.timeoutMs)}`;
  if (result.exitCode !== 0) return result.stderr || `exit status ${result.exitCode ?? "unknown"}`;
  return undefined;
}
