import type { Row } from "../row.js";

/** Goal is one line of issue 17's (or issue 32's) goals table, attached to the row that measures it. */
interface Goal {
  readonly matches: (row: Row) => boolean;
  readonly goal: string;
  readonly met: (row: Row) => boolean;
  /** missed says where the difference comes from, added to the note of a row that misses its goal. */
  readonly missed: string;
}

const ratio = (row: Row) => row.ratio ?? Number.NaN;
const at = (bench: string, text: string, metric?: string) => (row: Row) =>
  row.bench === bench && row.case.includes(text) && (metric === undefined || row.metric === metric);

const GOALS: readonly Goal[] = [
  {
    matches: at("peer", "RSS idle"),
    goal: "≤ 0.4× and < 90 MiB",
    met: (row) => ratio(row) <= 0.4 && row.value < 90,
    missed:
      "a Node process: V8's heap and the loaded modules (fastify, Octokit, pino, zod); a bare node process alone is ~38 MiB",
  },
  {
    matches: at("peer", "CPU over"),
    goal: "≤ 1.0×",
    met: (row) => ratio(row) <= 1,
    missed:
      "every idle poll is a JavaScript request through Octokit and its plugins, 50 every 5 s; Flux's checks run in Go",
  },
  {
    matches: at("peer", "commit → applied, polling"),
    goal: "≤ 0.7×",
    met: (row) => ratio(row) <= 0.7,
    missed:
      "at the same interval both wait for the next poll (0–5 s, 2.5 s on average), which bounds the ratio from below; 9 random phases are noisy",
  },
  {
    matches: at("peer", "stack vs Flux"),
    goal: "≤ 0.7×",
    met: (row) => ratio(row) <= 0.7,
    missed:
      "the controller's own work per sync (tree snapshot, render, per-object results, state) against Flux's",
  },
  {
    matches: at("peer", "stack vs bare"),
    goal: "≤ 1.5×",
    met: (row) => ratio(row) <= 1.5,
    missed:
      "the controller's own work per sync (tree snapshot, render, per-object results, state) on top of the same PATCHes",
  },
  {
    matches: at("footprint", "50 repos", "CPU per poll run"),
    goal: "≤ 2×",
    met: (row) => ratio(row) <= 2,
    missed: "Octokit's request path and plugins per repository against one bare fetch",
  },
  {
    matches: at("footprint", "50 repos", "wall per poll run"),
    goal: "≤ 2×",
    met: (row) => ratio(row) <= 2,
    missed: "Octokit's request path and plugins per repository against one bare fetch",
  },
  {
    matches: at("change-latency", "push webhook", "median"),
    goal: "≤ 1.3×",
    met: (row) => ratio(row) <= 1.3,
    missed:
      "the loop's own work: the tree snapshot from the GitHub API, render and the applyer's per-object results",
  },
  {
    matches: (row) =>
      row.bench === "release-tree" && /init\.sh|small/.test(row.case) && /req/.test(row.metric),
    goal: "≥ 0.9×",
    met: (row) => ratio(row) >= 0.9,
    missed: "Fastify's routing and reply machinery per request on top of node:http",
  },
  {
    matches: at("scale", "1 000 services, start"),
    goal: "≤ 0.05×",
    met: (row) => ratio(row) <= 0.05,
    missed:
      "CPU-bound: the owner lookup (controller/record/owners.ts) is rebuilt from the whole state after every recorded result, and its garbage collected (docs/performance.md)",
  },
  {
    matches: at("scale", "1 000 services, peak RSS"),
    goal: "≤ 0.5×",
    met: (row) => ratio(row) <= 0.5,
    missed:
      "a transient peak (the live heap after the sync is ~40 MiB): garbage of the whole-state rebuilds for every sync, promoted out of a 1 MiB young generation",
  },
  {
    matches: at("scale", "10 000 services, start"),
    goal: "≤ 600 s",
    met: (row) => row.value <= 600,
    missed:
      "CPU-bound: work per service that grows with the number of services (the owner lookup rebuilt from the whole state)",
  },
  {
    matches: at("scale", "10 000 services, peak RSS"),
    goal: "< 1 GiB",
    met: (row) => row.value < 1024,
    missed: "what the controller keeps per service (desired set, results, state records)",
  },
  {
    matches: at("scale", "10 000 services, GitHub"),
    goal: "≤ 3 a repository",
    met: (row) => row.value <= 3,
    missed: "the source read more than the head, one tree and one tarball per repository",
  },
  {
    matches: at("scale", "CPU over"),
    goal: "≤ 1.0×",
    met: (row) => ratio(row) <= 1,
    missed: "the controller's work per 304 poll: Octokit's request path, a new connection, a log line",
  },
  {
    matches: at("shards", "1 000 services, start → all landed, 3 members vs 1"),
    goal: "≤ 0.45×",
    met: (row) => ratio(row) <= 0.45,
    missed:
      "the members, the apiserver and etcd share this machine's cores: no fleet lands sooner than the CPU one member's run took spread over them (the row 'the soonest any fleet lands'), and each member adds its own start",
  },
  {
    matches: at("shards", "1 000 services, start → all landed, 3 members vs Flux"),
    goal: "≤ 0.3×",
    met: (row) => ratio(row) <= 0.3,
    missed: "the members' start and the apiserver's answers to one server-side apply per object",
  },
  {
    matches: at("shards", "1 000 services, peak RSS per member, 3 members"),
    goal: "≤ 0.5×",
    met: (row) => ratio(row) <= 0.5,
    missed:
      "each member is a whole Node process (~70 MiB before any service) and reads every service's state",
  },
  {
    matches: at("peer-soak", "RSS after"),
    goal: "≤ 1.1×",
    met: (row) => ratio(row) <= 1.1,
    missed: "the heap grew between the samples: either not yet at its steady size after 5 minutes, or a leak",
  },
];

/** withGoals attaches the goal, and whether the row meets it, to every row that measures one. */
export function withGoals(rows: readonly Row[]): Row[] {
  return rows.map((row) => {
    const goal = GOALS.find((candidate) => candidate.matches(row));
    if (!goal) return row;
    const met = goal.met(row);
    const note = met ? row.note : [row.note, `missed: ${goal.missed}`].filter(Boolean).join("; ");
    return { ...row, goal: goal.goal, met, ...(note ? { note } : {}) };
  });
}
