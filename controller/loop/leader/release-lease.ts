import { statusMessage } from "../../../kube/http.js";
import { boundAttempt } from "./bound-attempt.js";
import type { Candidate } from "./candidate.js";
import { type Lease, type LeaseOutcome, releasedSpec } from "./lease.js";

/**
 * releaseLease gives up the Lease this candidate last held, so that another takes it at its next retry instead of
 * waiting for it to expire. A release that fails is logged: the Lease then expires as after a crash.
 */
export async function releaseLease(candidate: Candidate): Promise<void> {
  const { lease } = candidate.standing;
  if (!lease) return;
  const released: Lease = { ...lease, spec: releasedSpec(lease.spec, candidate.clock.now()) };
  const put = async (): Promise<LeaseOutcome> => {
    const res = await candidate.request("PUT", candidate.path, released);
    return res.status === 200
      ? { kind: "following", lease: res.body as Lease }
      : { kind: "error", message: statusMessage(res) };
  };
  const outcome = await boundAttempt(candidate.clock, put(), candidate.renewDeadlineMs);
  const { log, context } = candidate;
  if (outcome.kind === "error")
    log.warn({ ...context, reason: outcome.message }, "could not release the Lease");
  else log.info(context, "released the Lease");
}
