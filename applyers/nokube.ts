import { access, constants } from "node:fs/promises";
import { join } from "node:path";
import yaml from "js-yaml";
import type { Logger } from "pino";
import {
  childEnv,
  DEFAULT_RUN_TIMEOUT_MS,
  type EnvSource,
  formatTimeout,
  type RunCommand,
  runProcess,
} from "../common/run.js";
import { type KubeObject, refOf } from "../kube/objects.js";
import {
  type ApplyAction,
  type Applyer,
  ApplyerUnavailableError,
  type ApplyOptions,
  type ApplyResult,
} from "./applyer.js";
import { DownloadError, downloadExecutable, type HttpGet, sha256File, undiciGet } from "./download.js";

/** NokubeApplyerOptions configure {@link createNokubeApplyer}; they mirror `applyer_nokube` in the config. */
export interface NokubeApplyerOptions {
  clusterName: string;
  downloadUrl: string;
  /** sha256 of the binary; when set, a download or an installed binary that does not match is refused. */
  sha256?: string;
  /** workspace is the controller's writable directory; the binary lives at `{workspace}/bin/nokube`. */
  workspace: string;
  /**
   * timeoutMs bounds every NoKube run (the config's `apply_timeout`; default 300 s): past it the CLI and what it
   * started are killed, and every object of the apply fails with a message that says so.
   */
  timeoutMs?: number;
  /** downloadTimeoutMs bounds the download of the CLI (default 120 s). */
  downloadTimeoutMs?: number;
  run?: RunCommand;
  get?: HttpGet;
  /**
   * env is where the CLI's environment is picked from (`process.env` by default): only PATH, HOME, KUBECONFIG and
   * the proxy variables, so a downloaded binary never sees the controller's tokens and secrets.
   */
  env?: EnvSource;
  log: Logger;
}

const REPORTED = /^([\w.-]+)\/([\w.:-]+)\s+(created|configured|unchanged)$/;

/**
 * createNokubeApplyer applies through the NoKube CLI (seed 001): the binary is downloaded from `downloadUrl` into
 * `{workspace}/bin/nokube` (again whenever it is missing or its sha256 no longer matches), checked by running
 * `nokube --help`, and objects are sent as YAML on stdin to `nokube apply --cluster <clusterName>`.
 *
 * The CLI applies the stream as a whole, so on failure every object is reported failed with its output. On
 * success, objects it names in `kind/name created|configured|unchanged` lines get that action and the others
 * `configured`, since no change detection is possible from outside. It has no delete, so `delete` reports the
 * applyer unavailable and the chain hands deletes to the next applyer.
 *
 * Every run is bounded by `timeoutMs`, and the download by `downloadTimeoutMs`; an aborted `signal` kills the
 * apply in flight (or stops the download) and rejects with the signal's reason, reporting nothing.
 */
export function createNokubeApplyer(options: NokubeApplyerOptions): Applyer {
  const { run = runProcess, get = undiciGet, log, timeoutMs = DEFAULT_RUN_TIMEOUT_MS } = options;
  const name = "nokube";
  const bin = join(options.workspace, "bin", "nokube");
  const env = childEnv(options.env ?? process.env);

  async function installed(): Promise<boolean> {
    try {
      await access(bin, constants.X_OK);
    } catch {
      return false;
    }
    return !options.sha256 || (await sha256File(bin)) === options.sha256.toLowerCase();
  }

  const killed = (command: string) =>
    `nokube ${command} did not finish within ${formatTimeout(timeoutMs)} and was killed`;
  const abortable = (signal: AbortSignal | undefined) => (signal ? { signal } : {});

  async function install(signal?: AbortSignal): Promise<void> {
    if (!(await installed())) {
      // The config refuses this too; a binary fetched over plain http and run unchecked is never run here.
      if (!options.sha256 && !options.downloadUrl.startsWith("https://")) {
        throw new ApplyerUnavailableError(
          name,
          `refusing to download ${options.downloadUrl} without sha256: use https, or set applyer_nokube.sha256`,
        );
      }
      log.info({ applyer: name, url: options.downloadUrl, dest: bin }, "downloading the NoKube CLI");
      try {
        await downloadExecutable({
          url: options.downloadUrl,
          dest: bin,
          sha256: options.sha256,
          get,
          ...(options.downloadTimeoutMs === undefined ? {} : { timeoutMs: options.downloadTimeoutMs }),
          ...abortable(signal),
        });
      } catch (error: unknown) {
        if (error instanceof DownloadError)
          throw new ApplyerUnavailableError(name, error.message, { cause: error });
        throw error;
      }
    }
    const probe = await run(bin, ["--help"], { timeoutMs, env, ...abortable(signal) });
    if (probe.spawnError || probe.exitCode !== 0) {
      const why =
        probe.spawnError ??
        (probe.timedOut ? killed("--help") : `exit code ${probe.exitCode}: ${probe.stderr.trim()}`);
      throw new ApplyerUnavailableError(name, `${bin} --help failed (${why})`);
    }
  }

  return {
    name,
    ensureInstalled: () => install(),

    async apply(objects: readonly KubeObject[], opts: ApplyOptions = {}): Promise<ApplyResult> {
      const { signal } = opts;
      signal?.throwIfAborted();
      // The binary may have been removed from the workspace since install; fetch it again rather than fail.
      if (!(await installed())) await install(signal);
      const stream = objects.map((o) => yaml.dump(o, { noRefs: true, lineWidth: -1 })).join("---\n");
      const result = await run(bin, ["apply", "--cluster", options.clusterName], {
        input: stream,
        timeoutMs,
        env,
        ...abortable(signal),
      });
      if (result.spawnError)
        throw new ApplyerUnavailableError(name, `cannot start ${bin}: ${result.spawnError}`);
      if (result.exitCode !== 0) {
        const message = result.timedOut
          ? killed("apply")
          : (result.stderr.trim() || result.stdout.trim() || `exit code ${result.exitCode}`).slice(0, 4000);
        return { applyer: name, objects: objects.map((o) => ({ ...refOf(o), action: "failed", message })) };
      }
      const reported = new Map<string, ApplyAction>();
      for (const line of result.stdout.split("\n")) {
        const m = REPORTED.exec(line.trim());
        if (m) reported.set(`${m[1]?.toLowerCase()}/${m[2]}`, m[3] as ApplyAction);
      }
      return {
        applyer: name,
        objects: objects.map((o) => ({
          ...refOf(o),
          action: reported.get(`${o.kind.toLowerCase()}/${o.metadata.name}`) ?? "configured",
        })),
      };
    },

    async delete() {
      throw new ApplyerUnavailableError(name, "the NoKube CLI has no delete command");
    },
  };
}
