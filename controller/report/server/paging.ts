/** LimitRule bounds one `?limit=` parameter: the default when absent and the most one request may ask for. */
export interface LimitRule {
  readonly defaultLimit: number;
  readonly maxLimit: number;
}

/** parseLimit reads `?limit=`: a whole number from 1 to `maxLimit`, `defaultLimit` when absent. */
export function parseLimit(raw: unknown, rule: LimitRule): number | undefined {
  if (raw === undefined) return rule.defaultLimit;
  if (typeof raw !== "string" || !/^\d{1,7}$/.test(raw)) return undefined;
  const limit = Number(raw);
  return limit >= 1 && limit <= rule.maxLimit ? limit : undefined;
}

/** limitMessage is the 400 message for a bad `?limit=`. */
export function limitMessage(rule: LimitRule): string {
  return `limit must be a whole number from 1 to ${rule.maxLimit} (default ${rule.defaultLimit})`;
}

/** Page is one page of a list in a stable order, and the cursor of the next page when there is one. */
export interface Page<T> {
  readonly items: readonly T[];
  /** after is the last item's name: the `after` that asks for the next page; undefined on the last page. */
  readonly after: string | undefined;
}

/**
 * pageAfter returns up to `limit` items that follow the one named `after` (from the start without it), in the list's
 * own order; undefined when no item has that name, so a stale cursor is an error rather than a silent restart.
 */
export function pageAfter<T>(
  items: readonly T[],
  nameOf: (item: T) => string,
  limit: number,
  after: string | undefined,
): Page<T> | undefined {
  const start = after === undefined ? 0 : items.findIndex((item) => nameOf(item) === after) + 1;
  if (start === 0 && after !== undefined) return undefined;
  const slice = items.slice(start, start + limit);
  const last = slice.at(-1);
  return { items: slice, after: start + limit < items.length && last ? nameOf(last) : undefined };
}
