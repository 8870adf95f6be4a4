import type { RecordDigest } from "./changed-shards.js";
import { mergeServices, sameValue } from "./merge-services.js";
import type { IndexState } from "./split-state.js";
import { type AuditEvent, MAX_EVENTS, type RepoState, type ServiceState } from "./state.js";

/**
 * mergeIndex lays one writer's change to the state ConfigMap's index over the index another writer stored since,
 * for a write the apiserver refused with 409 Conflict: `given` is the index the writer had when it last read or
 * wrote it, `mine` the one it has now, `theirs` the one stored now. Every member of a fleet writes the index at
 * each flush (each sync adds to the audit trail), so the rule of each field is what two members can both write:
 *
 * - `services` (while the state is not split): see mergeServices: a member's own records win.
 * - `events`: both members append the audit entries of their own syncs, each with its own id, so the trail is the
 *   union of both, in time order, bounded to MAX_EVENTS as every write is.
 * - `repos`: a repository's services are shared out between members, and each one that sees all of them landed
 *   moves its commit; when both moved it the later move wins, as the newer commit to have landed whole.
 * - `waiting`: members poll the same repositories with the same token, so both hear GitHub's rate limit; an entry
 *   this member set or cleared wins, as the newest answer it has (the next poll, by either member, says it again).
 * - `shards` (the layout): when the two disagree the services are not where one of them put them; that is not
 *   merged (`undefined`), and the caller reads the whole state again, as for a record both changed.
 *
 * An entry neither changed, and any field this version does not know, is kept as `theirs` has it.
 */
export function mergeIndex(
  theirs: IndexState,
  given: IndexState,
  mine: IndexState,
  digestOf: (record: ServiceState) => RecordDigest,
): IndexState | undefined {
  if (theirs.shards !== mine.shards) return undefined;
  const services = mergeServices(theirs.services, given.services, mine.services, digestOf);
  if (services === undefined) return undefined;
  const { waiting: _waiting, ...rest } = theirs;
  const waiting = mergeEntries(
    theirs.waiting ?? {},
    given.waiting ?? {},
    mine.waiting ?? {},
    (_, own) => own,
  );
  return {
    ...rest,
    services,
    repos: mergeEntries(theirs.repos, given.repos, mine.repos, later),
    events: unionEvents(theirs.events, mine.events),
    ...(Object.keys(waiting).length > 0 ? { waiting } : {}),
  };
}

/**
 * mergeEntries takes each entry this writer changed (set, replaced or removed) since `given` from `mine`, unless
 * the other writer changed it too, when `both` decides; every other entry is `theirs`.
 */
function mergeEntries<T>(
  theirs: Readonly<Record<string, T>>,
  given: Readonly<Record<string, T>>,
  mine: Readonly<Record<string, T>>,
  both: (stored: T, own: T | undefined) => T | undefined,
): Record<string, T> {
  const merged: Record<string, T> = { ...theirs };
  for (const key of new Set([...Object.keys(given), ...Object.keys(mine)])) {
    const was = given[key];
    const own = mine[key];
    if (sameValue(was, own)) continue;
    const stored = theirs[key];
    const value = stored === undefined || sameValue(stored, was) ? own : both(stored, own);
    if (value === undefined) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

function later(stored: RepoState, own: RepoState | undefined): RepoState {
  return own !== undefined && Date.parse(own.time) >= Date.parse(stored.time) ? own : stored;
}

/** unionEvents is every audit entry of both trails, once each (by id), oldest first, the newest MAX_EVENTS. */
function unionEvents(theirs: readonly AuditEvent[], mine: readonly AuditEvent[]): AuditEvent[] {
  const known = new Set(theirs.map((event) => event.id));
  const all = [...theirs, ...mine.filter((event) => !known.has(event.id))];
  // Array#sort is stable: entries of the same time keep the order they were written in.
  return all.sort((a, b) => Date.parse(a.time) - Date.parse(b.time)).slice(-MAX_EVENTS);
}
