import type { SyncResult } from "../record/result.js";
import type { ChosenService, RepoRun } from "./repo-run.js";

/**
 * eachService runs one part per chosen service of a repository's run side by side, each in a slot of the pool of
 * service syncs (RepoSyncDeps.inServiceSlot), so one slow service holds back none of the others. A service's part
 * starts only once the parts of its dependencies in the same run ended (as one after the other did before: a
 * dependent sees its dependency's new outcome), and it takes its slot only then, so a waiting dependent never holds
 * one. The run's results follow `services`' order whatever order the parts end in; every part has settled before
 * eachService does, and the first error (an abort) is thrown then, so nothing of the run still runs after it.
 */
export async function eachService<C extends ChosenService>(
  run: RepoRun,
  services: readonly C[],
  part: (run: RepoRun, chosen: C) => Promise<void>,
): Promise<void> {
  const inSlot = run.deps.inServiceSlot ?? ((work) => work());
  const ended = new Map(services.map((chosen) => [chosen.service.name, settles()]));
  const parts = services.map((chosen) => ({ chosen, run: { ...run, results: [] as SyncResult[] } }));
  const settled = await Promise.allSettled(
    parts.map(async ({ chosen, run: own }) => {
      try {
        const dependencies = chosen.service.dependsOn ?? [];
        await Promise.all(dependencies.map((name) => ended.get(name)?.promise));
        await inSlot(() => part(own, chosen));
      } finally {
        ended.get(chosen.service.name)?.resolve();
      }
    }),
  );
  for (const { run: own } of parts) run.results.push(...own.results);
  const failed = settled.find((outcome) => outcome.status === "rejected");
  if (failed) throw failed.reason;
}

/** settles is a promise that never rejects, with its resolve at hand. */
function settles(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}
