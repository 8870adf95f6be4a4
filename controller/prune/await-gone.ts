import type { DeleteRef } from "../../applyers/applyer.js";
import type { Clock } from "../../common/clock.js";
import { mapLimit } from "../../common/map-limit.js";
import { type KubeObject, type ObjectRef, refKey } from "../../kube/objects.js";

/** AwaitGoneDeps read live objects and time the wait. */
export interface AwaitGoneDeps {
  readonly readObject: (ref: ObjectRef) => Promise<KubeObject | undefined>;
  readonly clock: Clock;
  /** How long an object may take to go once deleted, counted from its deletion (its `deletionTimestamp`). */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

// Most objects are gone by the first read; one with a finalizer goes when its controller gets to it.
const GONE_POLL_MS = [25, 50, 100, 250, 500, 1000] as const;
const READ_CONCURRENCY = 4;

/**
 * awaitGone waits for deleted objects to be gone (or replaced: another UID is another object), and returns, by
 * refKey, why each one still there past its deadline is: deleted, but held by finalizers nobody removes. The
 * deadline is `timeoutMs` after the object's own `deletionTimestamp` when it has one, so an object stuck since an
 * earlier sync is reported at once instead of waited on again; never later than `timeoutMs` from now.
 */
export async function awaitGone(
  deleted: readonly DeleteRef[],
  deps: AwaitGoneDeps,
): Promise<Map<string, string>> {
  const { clock, timeoutMs } = deps;
  const started = clock.monotonic();
  let waiting = [...deleted];
  for (let attempt = 0; ; attempt++) {
    const reads = await mapLimit(waiting, READ_CONCURRENCY, async (ref) => ({
      ref,
      live: await readStill(ref, deps),
    }));
    const still = reads.filter((read) => read.live !== undefined);
    const waited = clock.monotonic() - started;
    const overdue = still.filter(
      ({ live }) => waited >= timeoutMs || terminatingFor(live, clock) >= timeoutMs,
    );
    if (overdue.length === still.length) {
      return new Map(
        overdue.map(({ ref, live }) => [
          refKey(ref),
          stuckMessage(live, Math.max(waited, terminatingFor(live, clock))),
        ]),
      );
    }
    waiting = still.map((read) => read.ref);
    deps.signal?.throwIfAborted();
    const poll = GONE_POLL_MS[Math.min(attempt, GONE_POLL_MS.length - 1)] as number;
    // The last read falls on the deadline, so a stuck object is reported then, not up to a poll later.
    await clock.sleep(Math.min(poll, Math.max(1, timeoutMs - waited)));
  }
}

/** readStill is the live object when it is still the one deleted; a read that fails counts as still there. */
async function readStill(ref: DeleteRef, deps: AwaitGoneDeps): Promise<KubeObject | undefined> {
  try {
    const live = await deps.readObject(ref);
    if (live === undefined || (ref.uid !== undefined && live.metadata.uid !== ref.uid)) return undefined;
    return live;
  } catch (error: unknown) {
    if (deps.signal?.aborted) throw error;
    return { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name } };
  }
}

function terminatingFor(live: KubeObject | undefined, clock: Clock): number {
  const since = Date.parse(String(live?.metadata.deletionTimestamp ?? ""));
  return Number.isNaN(since) ? 0 : clock.now() - since;
}

function stuckMessage(live: KubeObject | undefined, elapsedMs: number): string {
  const finalizers = (live?.metadata.finalizers as readonly string[] | undefined) ?? [];
  const held =
    finalizers.length > 0
      ? `held by finalizer${finalizers.length === 1 ? "" : "s"} ${finalizers.join(", ")}, which nothing has removed`
      : "it could not be read to see why";
  return `deleted, but still there after ${Math.round(elapsedMs / 1000)} s: ${held}; what it may depend on is deleted once it is gone`;
}
