import { access, constants } from "node:fs/promises";
import type { Logger } from "pino";
import { killedMessage, type RunCommand } from "../common/run.js";
import { ApplyerUnavailableError } from "./applyer.js";
import { downloadExecutable, sha256File } from "./download.js";
import { DownloadError } from "./download-error.js";
import type { HttpGet } from "./http-get.js";

/** NOKUBE_APPLYER is the NoKube applyer's name, in results, errors and logs. */
export const NOKUBE_APPLYER = "nokube";

/** NokubeBinary is where the NoKube CLI lives, where it comes from, and how it is run and fetched. */
export interface NokubeBinary {
  bin: string;
  downloadUrl: string;
  sha256: string | undefined;
  downloadTimeoutMs: number | undefined;
  timeoutMs: number;
  env: Record<string, string>;
  run: RunCommand;
  get: HttpGet;
  log: Logger;
}

/** nokubeInstalled is true when the binary is there, executable, and matches `sha256` when one is set. */
export async function nokubeInstalled({
  bin,
  sha256,
}: Pick<NokubeBinary, "bin" | "sha256">): Promise<boolean> {
  try {
    await access(bin, constants.X_OK);
  } catch {
    return false;
  }
  return !sha256 || (await sha256File(bin)) === sha256.toLowerCase();
}

/**
 * installNokube downloads the CLI unless it is installed already, then proves it runs with `nokube --help`. A
 * failed download or probe makes the applyer unavailable; an aborted `signal` stops either.
 */
export async function installNokube(nokube: NokubeBinary, signal?: AbortSignal): Promise<void> {
  const { bin, run, env, timeoutMs } = nokube;
  if (!(await nokubeInstalled(nokube))) await download(nokube, signal);
  const probe = await run(bin, ["--help"], { timeoutMs, env, ...(signal ? { signal } : {}) });
  if (probe.spawnError || probe.exitCode !== 0) {
    const why =
      probe.spawnError ??
      (probe.timedOut
        ? killedMessage("nokube --help", timeoutMs)
        : `exit code ${probe.exitCode}: ${probe.stderr.trim()}`);
    throw new ApplyerUnavailableError(NOKUBE_APPLYER, `${bin} --help failed (${why})`);
  }
}

async function download(nokube: NokubeBinary, signal: AbortSignal | undefined): Promise<void> {
  const { downloadUrl: url, sha256, bin } = nokube;
  // The config refuses this too; a binary fetched over plain http and run unchecked is never run here.
  if (!sha256 && !url.startsWith("https://")) {
    throw new ApplyerUnavailableError(
      NOKUBE_APPLYER,
      `refusing to download ${url} without sha256: use https, or set applyer_nokube.sha256`,
    );
  }
  nokube.log.info({ applyer: NOKUBE_APPLYER, url, dest: bin }, "downloading the NoKube CLI");
  try {
    await downloadExecutable({
      url,
      dest: bin,
      sha256,
      get: nokube.get,
      ...(nokube.downloadTimeoutMs === undefined ? {} : { timeoutMs: nokube.downloadTimeoutMs }),
      ...(signal ? { signal } : {}),
    });
  } catch (error: unknown) {
    if (error instanceof DownloadError)
      throw new ApplyerUnavailableError(NOKUBE_APPLYER, error.message, { cause: error });
    throw error;
  }
}
