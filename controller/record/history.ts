import type { HistoryEntry, ServiceState, Trigger } from "./state/state.js";

/** MAX_HISTORY bounds the landed commits kept per service: what `GET …/history` lists and a rollback may pick. */
export const MAX_HISTORY = 50;

/** MAX_HISTORY_FILES bounds the paths one history entry names, so a commit touching a thousand files stays small. */
export const MAX_HISTORY_FILES = 20;

/**
 * historyEntry describes a commit whose whole set landed. `files` are the paths it added, changed or deleted, the
 * first MAX_HISTORY_FILES of them, and absent when it touched none of the service's files.
 */
export function historyEntry(input: {
  readonly commit: string;
  readonly now: number;
  readonly trigger: Trigger;
  readonly objects: number;
  readonly files: readonly string[];
}): HistoryEntry {
  const files = input.files.slice(0, MAX_HISTORY_FILES);
  return {
    commit: input.commit,
    time: new Date(input.now).toISOString(),
    trigger: input.trigger,
    objects: input.objects,
    ...(files.length > 0 ? { files } : {}),
  };
}

/**
 * withHistory puts a landed commit first in a service's history, keeping the newest MAX_HISTORY. A set landing again
 * at the commit it already had (a retry, a reconcile, a manual sync) is no new entry.
 */
export function withHistory(state: ServiceState, entry: HistoryEntry): ServiceState {
  const history = state.history ?? [];
  if (state.commit === entry.commit && history[0]?.commit === entry.commit) return state;
  return { ...state, history: [entry, ...history].slice(0, MAX_HISTORY) };
}

/**
 * findLanded finds the history entry a person named by its full SHA or a unique prefix of at least 7 characters:
 * `found`, `ambiguous` (the prefix names several commits) or `missing`.
 */
export function findLanded(
  history: readonly HistoryEntry[],
  commit: string,
):
  | { readonly status: "found"; readonly entry: HistoryEntry }
  | { readonly status: "ambiguous"; readonly commits: readonly string[] }
  | { readonly status: "missing" } {
  const wanted = commit.toLowerCase();
  const exact = history.find((entry) => entry.commit.toLowerCase() === wanted);
  if (exact) return { status: "found", entry: exact };
  if (wanted.length < 7) return { status: "missing" };
  const commits = [
    ...new Set(history.map((e) => e.commit).filter((c) => c.toLowerCase().startsWith(wanted))),
  ];
  const first = history.find((entry) => entry.commit === commits[0]);
  if (commits.length === 1 && first) return { status: "found", entry: first };
  return commits.length === 0 ? { status: "missing" } : { status: "ambiguous", commits };
}
