import type { ConfigIssue } from "./config-error.js";

/** DependencyEntry is one service's `depends_on` as written, at its index in `services`. */
export interface DependencyEntry {
  readonly name: string;
  readonly dependsOn: readonly string[];
}

/**
 * dependencyIssues checks every `depends_on`: each name must be another configured service, named once, and no
 * service may come back to itself through its dependencies (it would wait for itself forever). A cycle is reported
 * once, at the first entry of it in `services` order, naming every service on it.
 */
export function dependencyIssues(entries: readonly DependencyEntry[]): ConfigIssue[] {
  const index = new Map(entries.map((entry, i) => [entry.name, i]));
  const issues: ConfigIssue[] = [];
  entries.forEach((entry, i) => {
    entry.dependsOn.forEach((name, j) => {
      const path = `services[${i}].depends_on[${j}]`;
      if (name === entry.name) issues.push({ path, message: `"${name}" cannot depend on itself` });
      else if (!index.has(name)) {
        const known = entries.map((other) => other.name).filter((other) => other !== entry.name);
        issues.push({
          path,
          message: `"${name}" is not a service (known: ${known.join(", ") || "none"})`,
        });
      } else if (entry.dependsOn.indexOf(name) !== j)
        issues.push({ path, message: `"${name}" is listed twice` });
    });
  });
  const reported = new Set<string>();
  entries.forEach((entry, i) => {
    const cycle = cycleFrom(entry.name, entries, index);
    if (cycle === undefined || cycle.some((name) => reported.has(name))) return;
    for (const name of cycle) reported.add(name);
    const next = cycle[1] ?? entry.name;
    issues.push({
      path: `services[${i}].depends_on[${entry.dependsOn.indexOf(next)}]`,
      message: `a dependency cycle: ${[...cycle, entry.name].join(" → ")}; each would wait for the other forever`,
    });
  });
  return issues;
}

/** cycleFrom is the shortest path of dependencies from `start` back to itself, starting with it; else undefined. */
function cycleFrom(
  start: string,
  entries: readonly DependencyEntry[],
  index: ReadonlyMap<string, number>,
): string[] | undefined {
  // Breadth first, so the cycle named is the shortest one through `start`.
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let at = queue.shift(); at !== undefined; at = queue.shift()) {
    for (const next of dependenciesOf(at, entries, index)) {
      if (next === start) return pathTo(at, start, cameFrom);
      if (cameFrom.has(next) || next === at) continue;
      cameFrom.set(next, at);
      queue.push(next);
    }
  }
  return undefined;
}

function dependenciesOf(
  name: string,
  entries: readonly DependencyEntry[],
  index: ReadonlyMap<string, number>,
): readonly string[] {
  const i = index.get(name);
  return (i === undefined ? [] : (entries[i]?.dependsOn ?? [])).filter(
    (next) => next !== name && index.has(next),
  );
}

function pathTo(end: string, start: string, cameFrom: ReadonlyMap<string, string>): string[] {
  const path = [end];
  for (let at = end; at !== start; ) {
    const previous = cameFrom.get(at);
    if (previous === undefined) break;
    path.unshift(previous);
    at = previous;
  }
  return path;
}

/**
 * dependencyOrder ranks services so that each comes after everything it depends on, keeping the config's order
 * otherwise (a stable topological order). Meant for a config whose dependencies were checked: a service on a cycle
 * would keep its config position.
 */
export function dependencyOrder(entries: readonly DependencyEntry[]): Map<string, number> {
  const rank = new Map<string, number>();
  const visiting = new Set<string>();
  const byName = new Map(entries.map((entry) => [entry.name, entry]));
  const visit = (entry: DependencyEntry) => {
    if (rank.has(entry.name) || visiting.has(entry.name)) return;
    visiting.add(entry.name);
    for (const name of entry.dependsOn) {
      const dependency = byName.get(name);
      if (dependency) visit(dependency);
    }
    visiting.delete(entry.name);
    rank.set(entry.name, rank.size);
  };
  for (const entry of entries) visit(entry);
  return rank;
}
