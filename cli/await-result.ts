import type { AuditEvent } from "../controller/record/state/state.js";
import type { ApiClient } from "./api-client.js";
import type { CliDeps } from "./command.js";

/** ServiceDetail is what `GET /v1/gitops/services/NAME` answers that following a sync reads. */
export interface ServiceDetail {
  readonly events: readonly AuditEvent[];
  readonly timestamp: string;
}

/** FOLLOW_INTERVAL_MS is how often a followed service's status is read again. */
export const FOLLOW_INTERVAL_MS = 1000;

/** Baseline is what the service's status said before a request: the results already there, and the server's time. */
export interface Baseline {
  readonly seen: ReadonlySet<string>;
  /** since is the server's time then, to the second: a result that started earlier is not the request's. */
  readonly since: number;
}

/** readDetail reads one service's status with its last 20 events. */
export async function readDetail(api: ApiClient, service: string): Promise<ServiceDetail> {
  return (await api.read(`/v1/gitops/services/${encodeURIComponent(service)}`)) as ServiceDetail;
}

/** baselineOf is a status read just before a request, to tell the request's result from older ones. */
export function baselineOf(detail: ServiceDetail): Baseline {
  return { seen: new Set(detail.events.map((event) => event.id)), since: Date.parse(detail.timestamp) };
}

/**
 * awaitResult reads the service's status every second until an apply result that `matches` appears after the
 * baseline, and resolves with it; undefined once `timeoutMs` passed (by the injected clock) without one. Ctrl-C
 * rejects with the signal's reason.
 */
export async function awaitResult(
  api: ApiClient,
  service: string,
  baseline: Baseline,
  matches: (event: AuditEvent) => boolean,
  options: { readonly timeoutMs: number; readonly deps: CliDeps },
): Promise<AuditEvent | undefined> {
  const { deps } = options;
  const deadline = deps.now() + options.timeoutMs;
  while (deps.now() < deadline) {
    await deps.sleep(Math.min(FOLLOW_INTERVAL_MS, Math.max(0, deadline - deps.now())), deps.signal);
    const detail = await readDetail(api, service);
    // Oldest first: of two results of the request (an apply, then its prune), the apply says how it went.
    const found = [...detail.events]
      .reverse()
      .find(
        (event) =>
          !baseline.seen.has(event.id) &&
          event.kind === "apply" &&
          Date.parse(event.time) >= baseline.since &&
          matches(event),
      );
    if (found) return found;
  }
  return undefined;
}
