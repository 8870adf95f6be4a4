import { join } from "node:path";
import yaml from "js-yaml";
import type { Logger } from "pino";
import {
  childEnv,
  DEFAULT_RUN_TIMEOUT_MS,
  type EnvSource,
  killedMessage,
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
  type ObjectApplyResult,
} from "./applyer.js";
import { type HttpGet, undiciGet } from "./http-get.js";
import { installNokube, NOKUBE_APPLYER, type NokubeBinary, nokubeInstalled } from "./nokube-install.js";

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
  const name = NOKUBE_APPLYER;
  const nokube: NokubeBinary = {
    bin: join(options.workspace, "bin", "nokube"),
    downloadUrl: options.downloadUrl,
    sha256: options.sha256,
    downloadTimeoutMs: options.downloadTimeoutMs,
    timeoutMs: options.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS,
    env: childEnv(options.env ?? process.env),
    run: options.run ?? runProcess,
    get: options.get ?? undiciGet,
    log: options.log,
  };
  const { bin, timeoutMs } = nokube;

  return {
    name,
    ensureInstalled: () => installNokube(nokube),

    async apply(objects: readonly KubeObject[], opts: ApplyOptions = {}): Promise<ApplyResult> {
      const { signal } = opts;
      signal?.throwIfAborted();
      // The binary may have been removed from the workspace since install; fetch it again rather than fail.
      if (!(await nokubeInstalled(nokube))) await installNokube(nokube, signal);
      const stream = objects.map((o) => yaml.dump(o, { noRefs: true, lineWidth: -1 })).join("---\n");
      const result = await nokube.run(bin, ["apply", "--cluster", options.clusterName], {
        input: stream,
        timeoutMs,
        env: nokube.env,
        ...(signal ? { signal } : {}),
      });
      if (result.spawnError)
        throw new ApplyerUnavailableError(name, `cannot start ${bin}: ${result.spawnError}`);
      if (result.exitCode !== 0) {
        const message = result.timedOut
          ? killedMessage("nokube apply", timeoutMs)
          : (result.stderr.trim() || result.stdout.trim() || `exit code ${result.exitCode}`).slice(0, 4000);
        return { applyer: name, objects: objects.map((o) => ({ ...refOf(o), action: "failed", message })) };
      }
      return { applyer: name, objects: reportedResults(objects, result.stdout) };
    },

    async delete() {
      throw new ApplyerUnavailableError(name, "the NoKube CLI has no delete command");
    },
  };
}

/**
 * reportedResults reads what `nokube apply` printed: an object named in a `kind/name created|configured|unchanged`
 * line gets that action, any other `configured`, since no change detection is possible from outside.
 */
function reportedResults(objects: readonly KubeObject[], stdout: string): ObjectApplyResult[] {
  const reported = new Map<string, ApplyAction>();
  for (const line of stdout.split("\n")) {
    const m = REPORTED.exec(line.trim());
    if (m) reported.set(`${m[1]?.toLowerCase()}/${m[2]}`, m[3] as ApplyAction);
  }
  return objects.map((o) => ({
    ...refOf(o),
    action: reported.get(`${o.kind.toLowerCase()}/${o.metadata.name}`) ?? "configured",
  }));
}
