import type { ObjectApplyResult, ObjectDeleteResult } from "../../../applyers/applyer.js";
import type { ListedChange } from "./messages.js";

/**
 * MAX_LISTED_CHANGES bounds the objects one notification lists: a sync of thousands of objects stays one small
 * message (chat receivers cap their size), and the count says how many were left out.
 */
export const MAX_LISTED_CHANGES = 20;

// Failures first: when the list is cut short, what needs a person is what stays in it.
const RANK: Readonly<Record<string, number>> = {
  failed: 0,
  skipped: 0,
  created: 1,
  configured: 2,
  deleted: 3,
  conflict: 4,
};

/**
 * listChanges picks the objects an apply and a prune did something to (unchanged objects and ones already gone are
 * only counted elsewhere), failures first, at most `max`, and says how many there were in all.
 */
export function listChanges(
  applied: readonly ObjectApplyResult[],
  pruned: readonly ObjectDeleteResult[],
  max = MAX_LISTED_CHANGES,
): { changes: ListedChange[]; total: number } {
  const all = [...applied, ...pruned]
    .filter((object) => RANK[object.action] !== undefined)
    .sort((a, b) => (RANK[a.action] ?? 0) - (RANK[b.action] ?? 0));
  const changes = all.slice(0, max).map((object) => ({
    kind: object.kind,
    ...(object.namespace ? { namespace: object.namespace } : {}),
    name: object.name,
    action: object.action,
    ...(object.message && RANK[object.action] === 0 ? { message: object.message.slice(0, 300) } : {}),
  }));
  return { changes, total: all.length };
}

/** countActions says how many objects got each action. */
export function countActions(objects: readonly { readonly action: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const object of objects) counts[object.action] = (counts[object.action] ?? 0) + 1;
  return counts;
}
