import { findLanded } from "../record/history.js";
import type { SyncResult } from "../record/result.js";
import type { ControlRefusal, RollbackOutcome, ServiceControl } from "../record/service-control.js";
import { claimEnded, worksOn } from "./claims.js";
import type { Loop } from "./loop-state.js";
import type { Scheduler } from "./scheduler.js";

/**
 * createServiceControl answers a person's requests for one service. Only the leader takes them: it alone writes the
 * state, and a suspension it records is what its next run reads. A suspension is saved in turn with the syncs'
 * records; a rollback is queued as a run of its own, one per service at a time, and settles when its result is
 * recorded (see settleRollback) or when the run ended without one.
 */
export function createServiceControl(
  loop: Loop,
  scheduler: Scheduler<SyncResult>,
  stopped: () => boolean,
): ServiceControl {
  const refusal = (service: string): ControlRefusal | undefined => {
    const { config, isLeader } = loop.deps;
    if (!config.services.some((candidate) => candidate.name === service)) {
      const known = config.services.map((candidate) => candidate.name).join(", ");
      return { ok: false, code: "not_found", reason: `unknown service "${service}" (known: ${known})` };
    }
    if (stopped()) return { ok: false, code: "stopped", reason: "the controller is shutting down" };
    if (isLeader && !isLeader())
      return {
        ok: false,
        code: "not_leader",
        reason: "this replica is not the leader; ask again (another replica leads)",
      };
    if (!worksOn(loop, service)) {
      const owner = loop.deps.gate?.ownerOf(service);
      return {
        ok: false,
        code: "not_leader",
        reason: `service ${service} is ${owner ? `owned by ${owner}` : "being handed between controllers"}; ask again (another pod answers for it)`,
      };
    }
    return undefined;
  };
  return {
    async changeSuspension(kind, service, request) {
      const refused = refusal(service);
      if (refused) return refused;
      const change = await loop.inTurn(() => loop.recorder.changeSuspension(kind, service, request));
      // A sync of the service that began before it was suspended is let finish: once this answers, nothing more is
      // applied to it. (Outside the turn: that sync's own record takes a turn after this one.)
      if (kind === "suspend") await claimEnded(loop, service);
      return { ok: true, change };
    },
    rollback(service, ask) {
      const refused = refusal(service);
      if (refused) return refused;
      const under = loop.rollbacks.get(service);
      if (under) {
        return {
          ok: false,
          code: "conflict",
          reason: `a rollback of ${service} to ${under} is already under way`,
        };
      }
      const history = loop.recorder.state().services[service]?.history ?? [];
      const found = findLanded(history, ask.commit);
      if (found.status === "ambiguous") {
        const commits = found.commits.join(", ");
        return {
          ok: false,
          code: "invalid",
          reason: `commit "${ask.commit}" names several landed commits: ${commits}`,
        };
      }
      if (found.status === "missing") {
        const recent = history.slice(0, 5).map((entry) => entry.commit.slice(0, 12));
        const listed = recent.length === 0 ? "it has landed none yet" : `its newest: ${recent.join(", ")}`;
        return {
          ok: false,
          code: "not_found",
          reason: `commit "${ask.commit}" is not one of the ${history.length} landed commits of service ${service} (${listed}); see GET /v1/gitops/services/${service}/history`,
        };
      }
      const commit = found.entry.commit;
      loop.rollbacks.set(service, commit);
      const recorded = new Promise<RollbackOutcome>((resolve) => loop.rollbackWaiters.set(service, resolve));
      const ran = scheduler
        .runNow({ trigger: "rollback", service, rollback: { ...ask, commit } }, false)
        .then(
          (): RollbackOutcome => notRun,
          (error: unknown): RollbackOutcome => ({ status: "not_run", reason: (error as Error).message }),
        );
      const outcome = Promise.race([recorded, ran]).finally(() => {
        loop.rollbacks.delete(service);
        loop.rollbackWaiters.delete(service);
      });
      return { ok: true, commit, outcome };
    },
  };
}

const notRun: RollbackOutcome = {
  status: "not_run",
  reason:
    "the rollback did not run to its end: the controller stopped or lost the leader Lease first; nothing of it was recorded",
};

/** settleRollback hands a recorded rollback result to the request waiting for it. */
export function settleRollback(loop: Pick<Loop, "rollbackWaiters">, result: SyncResult): void {
  if (result.trigger === "rollback") loop.rollbackWaiters.get(result.service)?.({ status: "ran", result });
}
