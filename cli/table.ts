/** NONE is what kubectl prints for an empty cell. */
export const NONE = "<none>";

/**
 * formatTable lays rows out as kubectl does: upper-case headers, columns left-aligned and three spaces apart, no
 * trailing spaces. An empty cell prints as `<none>`.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = [headers, ...rows.map((row) => row.map((cell) => (cell === "" ? NONE : cell)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? "").length)));
  return cells
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("   ")
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join("");
}

/** oneLine is a message fit for a table cell: its first line, whitespace folded, cut at `max` characters. */
export function oneLine(text: string, max = 100): string {
  const folded = text.replace(/\s+/g, " ").trim();
  return folded.length > max ? `${folded.slice(0, max - 1)}…` : folded;
}

/** countActions says how many objects got each action, in the order first seen: `2 configured, 1 created`. */
export function countActions(objects: readonly { readonly action: string }[]): string {
  const counts = new Map<string, number>();
  for (const object of objects) counts.set(object.action, (counts.get(object.action) ?? 0) + 1);
  return [...counts].map(([action, n]) => `${n} ${action}`).join(", ");
}

/** shortCommit is a commit as kubectl-style tables show it: its first 7 characters. */
export function shortCommit(commit: string | undefined): string {
  return (commit ?? "").slice(0, 7);
}

/**
 * age is how long ago `time` was, as kubectl prints ages (k8s.io/apimachinery duration.HumanDuration): `45s`,
 * `3m20s`, `2h5m`, `3d4h`, `2y10d`. Empty or unparsable times print as empty.
 */
export function age(time: string | undefined, now: number): string {
  const at = time ? Date.parse(time) : Number.NaN;
  if (Number.isNaN(at)) return "";
  return humanDuration(now - at);
}

function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  // Up to 2 s in the future is clock skew, "now"; more is a time that cannot be an age.
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return pair(minutes, "m", seconds % 60, "s");
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return pair(hours, "h", minutes % 60, "m");
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) return pair(days, "d", hours % 24, "h");
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (hours < 24 * 365 * 8) return pair(years, "y", days % 365, "d");
  return `${years}y`;
}

function pair(big: number, bigUnit: string, small: number, smallUnit: string): string {
  return small === 0 ? `${big}${bigUnit}` : `${big}${bigUnit}${small}${smallUnit}`;
}
