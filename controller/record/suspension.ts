import type { Config } from "../config/types.js";
import { suspensionEvent } from "./audit.js";
import { repoLabel } from "./result.js";
import { type ControllerState, emptyServiceState, type Suspension, withEvents } from "./state/state.js";

/** SuspendRequest is who asks to suspend or resume a service, and why. */
export interface SuspendRequest {
  readonly by: string;
  readonly reason?: string;
}

/** SuspensionChange is what a suspend or resume did: the suspension now (or ended), and whether anything changed. */
export interface SuspensionChange {
  readonly changed: boolean;
  /** The service's suspension after a suspend; the one that ended (or undefined) after a resume. */
  readonly suspension?: Suspension;
}

/**
 * withSuspension suspends (`suspend`) or resumes a service in a state, with its audit entry. Suspending a suspended
 * service, or resuming one that is not, changes nothing: the first suspension's who, when and why stand.
 */
export function withSuspension(
  state: ControllerState,
  input: {
    readonly kind: "suspend" | "resume";
    readonly service: string;
    readonly request: SuspendRequest;
    readonly now: number;
    readonly config: Pick<Config, "services" | "repos">;
  },
): { readonly state: ControllerState; readonly change: SuspensionChange } {
  const current = state.services[input.service] ?? emptyServiceState();
  const held = current.suspended;
  if (input.kind === "suspend" ? held : !held)
    return { state, change: { changed: false, ...(held ? { suspension: held } : {}) } };
  const at = new Date(input.now).toISOString();
  const { reason } = input.request;
  const suspension: Suspension = {
    by: input.request.by,
    at,
    ...(reason ? { reason } : {}),
    ...(current.commit ? { commit: current.commit } : {}),
  };
  const { suspended: _ended, ...resumed } = current;
  const next = input.kind === "suspend" ? { ...current, suspended: suspension } : resumed;
  const event = suspensionEvent({
    kind: input.kind,
    service: input.service,
    repo: repoOf(input.config, input.service),
    commit: current.commit,
    by: input.request.by,
    at,
    reason,
  });
  return {
    state: withEvents({ ...state, services: { ...state.services, [input.service]: next } }, [event]),
    change: { changed: true, suspension: input.kind === "suspend" ? suspension : (held as Suspension) },
  };
}

function repoOf(config: Pick<Config, "services" | "repos">, name: string): string {
  const service = config.services.find((candidate) => candidate.name === name);
  const repo = config.repos.find((candidate) => candidate.key === service?.repoKey);
  return repo ? repoLabel(repo) : "";
}
