import { stat } from "node:fs/promises";
import { join } from "node:path";
import { GitOpsError } from "../../common/errors.js";
import { redactUrl } from "../../common/redact-url.js";

/** BootstrapDecision says whether a service's pod templates get the stateless bootstrap, and why. */
export interface BootstrapDecision {
  readonly bootstrap: boolean;
  readonly reason: string;
}

/**
 * ReleaseProbe tells whether a service has a release: `scripts/{service}/init.sh` in the release tree this
 * controller serves, or answering at `baseUrl` (where its pods would download it from).
 */
export type ReleaseProbe = (
  service: string,
  baseUrl: string | undefined,
  signal?: AbortSignal,
) => Promise<BootstrapDecision>;

/** ReleaseProbeError is a release that could be neither found nor ruled out: the service fails and is retried. */
export class ReleaseProbeError extends GitOpsError {
  readonly code = "E_RELEASE_PROBE";
}

/** ReleaseProbeOptions are the release tree on disk, the HTTP client and its deadline. */
export interface ReleaseProbeOptions {
  readonly releaseDir?: string;
  readonly fetch?: typeof globalThis.fetch;
  readonly timeoutMs?: number;
}

/** initScriptPath is where a service's release puts its init.sh, relative to the release tree's root. */
export const initScriptPath = (service: string) => `scripts/${service}/init.sh`;

/**
 * createReleaseProbe looks in the local release tree first (no request), then asks `baseUrl` with a GET of the
 * service's init.sh whose body is not read. Only a definite answer decides: 2xx is a release, 404 and 410 are none;
 * anything else (a 5xx, a 403, a timeout, a refused connection) throws, so a flaky server never flips a service's
 * pods between the bootstrap and its manifests as written.
 */
export function createReleaseProbe(options: ReleaseProbeOptions = {}): ReleaseProbe {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  return async (service, baseUrl, signal) => {
    const path = initScriptPath(service);
    if (options.releaseDir && (await isFile(join(options.releaseDir, path)))) {
      return { bootstrap: true, reason: `the release tree has ${path}` };
    }
    if (!baseUrl) {
      return {
        bootstrap: false,
        reason: `no release: ${options.releaseDir ? `no ${path} in the release tree and ` : ""}no download_base_url to look for one`,
      };
    }
    const url = `${baseUrl.replace(/\/+$/, "")}/${path}`;
    const deadline = AbortSignal.timeout(timeoutMs);
    let status: number;
    try {
      const response = await fetchFn(url, {
        signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
        redirect: "follow",
      });
      status = response.status;
      await response.body?.cancel();
    } catch (error: unknown) {
      signal?.throwIfAborted();
      throw new ReleaseProbeError(
        `cannot tell whether service ${service} has a release: GET ${redactUrl(url)} failed (${describe(error).split(url).join(redactUrl(url))}); the sync is retried`,
        { cause: error },
      );
    }
    if (status >= 200 && status < 300)
      return { bootstrap: true, reason: `${redactUrl(url)} answers ${status}` };
    if (status === 404 || status === 410) {
      return { bootstrap: false, reason: `no release: ${redactUrl(url)} answers ${status}` };
    }
    throw new ReleaseProbeError(
      `cannot tell whether service ${service} has a release: GET ${redactUrl(url)} answered ${status}; the sync is retried`,
    );
  };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function describe(error: unknown): string {
  if (error instanceof Error && error.name === "TimeoutError") return "timed out";
  const cause = error instanceof Error ? (error.cause as { code?: string } | undefined) : undefined;
  return cause?.code ?? (error instanceof Error ? error.message : String(error));
}
