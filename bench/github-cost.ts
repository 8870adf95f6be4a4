import { createGitHubSource } from "../controller/source/github.js";
import type { KnownState, PollRequest, SourceService } from "../controller/source/source.js";
import {
  captureLogger,
  createGitHubWorld,
  manifest,
  recordApplied,
  serviceFiles,
} from "../test/github-server/harness.js";
import type { RequestCounts } from "../test/github-server/server.js";
import { type Row, withBaseline } from "./row.js";

const TOKEN = "ghp_benchcosttoken0000000000000000000000";
const FILES_PER_SERVICE = 20;
const IDLE_POLLS = 10;
const CHANGES = 3;
/** GitHub's primary limit for a token: https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api */
const HOURLY_LIMIT = 5000;
const INTERVALS_SECONDS = [15, 60, 300] as const;
const SEED = "seed: contents GET per file + 1 listing per service (analytic)";

/** CostOptions size the GitHub cost benchmark. */
export interface CostOptions {
  readonly serviceCounts?: readonly number[];
  /** First syncs to measure: repositories × services × files each. Default 1 × 1 × 2000 and 50 × 10 × 20. */
  readonly firstSyncs?: readonly FirstSyncCase[];
}

/** FirstSyncCase is a first sync to count: `repos` repositories of `services` services of `files` files each. */
export interface FirstSyncCase {
  readonly repos: number;
  readonly services: number;
  readonly files: number;
}

const FIRST_SYNC_BASELINE = "one blob request per file (no tarball), measured";

interface Measured {
  readonly services: number;
  readonly files: number;
  readonly idle: RequestCounts;
  readonly change: RequestCounts;
}

/**
 * benchGitHubCost counts, exactly, the requests and rate-limit units the GitHub source spends per idle poll and per
 * one-file change with 1, 10 and 50 services of 20 files on one repository, against the GitHub test server.
 *
 * The seed's strategy (one contents-API GET per file per poll, plus one directory listing per service) is the
 * baseline. The test server serves only the endpoints our source uses, not `/contents`, so the seed's requests are
 * counted from the file list that was committed rather than sent: listing + files per service, every poll, every
 * one charged (the seed sent no conditional requests), whether anything changed or not.
 */
export async function benchGitHubCost(options: CostOptions = {}): Promise<Row[]> {
  const rows: Row[] = [];
  for (const services of options.serviceCounts ?? [1, 10, 50]) {
    const measured = await measure(services);
    rows.push(...costRows(measured));
  }
  const firstSyncs = options.firstSyncs ?? [
    { repos: 1, services: 1, files: 2000 },
    { repos: 50, services: 10, files: 20 },
  ];
  for (const shape of firstSyncs) rows.push(...(await firstSyncRows(shape)));
  return rows;
}

/**
 * firstSyncRows counts what a controller's first sync of every repository costs, with the tarball (one per
 * repository) and without it (the blobs API, one request per file), on the same repositories and server.
 */
async function firstSyncRows(shape: FirstSyncCase): Promise<Row[]> {
  const world = await createGitHubWorld();
  try {
    const polls: PollRequest[] = [];
    for (let index = 0; index < shape.repos; index++) {
      const name = `deploy-${index}`;
      const repo = await world.addRepo("bench", name, TOKEN);
      const services: SourceService[] = Array.from({ length: shape.services }, (_, at) => ({
        name: `${name}-svc-${at}`,
        dir: `services/svc-${at}`,
      }));
      const files: Record<string, string> = {};
      for (const service of services)
        Object.assign(files, serviceFiles(service.name, service.dir, shape.files));
      await repo.commit(files);
      polls.push({
        repository: { owner: "bench", repo: name, branch: "main", apiUrl: world.server.url, token: TOKEN },
        services,
        known: {},
      });
    }
    const firstSync = async (tarballMinBlobs?: number) => {
      const source = createGitHubSource({
        log: captureLogger().log,
        ...(tarballMinBlobs === undefined ? {} : { tarballMinBlobs }),
      });
      world.server.resetRequests();
      // Each way starts with a fresh hourly limit, and stops being able to read when it runs out, as on GitHub.
      world.server.setRemaining(TOKEN, HOURLY_LIMIT);
      let synced = 0;
      for (const request of polls) {
        const result = await source.poll(request);
        if (result.status === "changed" && result.services.every((service) => service.ok)) synced += 1;
      }
      return { ...world.server.counts(), synced };
    };
    const tarball = await firstSync();
    const blobs = await firstSync(Number.POSITIVE_INFINITY);
    const label = `first sync, ${shape.repos} repo${shape.repos === 1 ? "" : "s"} × ${shape.services} svc × ${shape.files} files`;
    const row = (metric: string, value: number, baselineValue: number, note?: string) =>
      withBaseline({
        bench: "github-cost",
        case: label,
        metric,
        unit: "requests",
        value,
        baseline: FIRST_SYNC_BASELINE,
        baselineValue,
        ...(note ? { note } : {}),
      });
    return [
      row("requests", tarball.total, blobs.total, "head + tree + tarball (302) + codeload download per repo"),
      row("charged", tarball.charged, blobs.charged),
      {
        bench: "github-cost",
        case: label,
        metric: "repos synced within one 5000/h token",
        unit: "repos",
        value: tarball.synced,
        baseline: FIRST_SYNC_BASELINE,
        baselineValue: blobs.synced,
        ratio: tarball.synced / blobs.synced,
        note: "measured: the test server refuses requests past the limit, as GitHub does",
      },
    ];
  } finally {
    await world.close();
  }
}

async function measure(count: number): Promise<Measured> {
  const world = await createGitHubWorld();
  try {
    const repo = await world.addRepo("bench", "deploy", TOKEN);
    const services: SourceService[] = Array.from({ length: count }, (_, index) => ({
      name: `svc-${index}`,
      dir: `services/svc-${index}`,
    }));
    const files: Record<string, string> = { "README.md": "not a manifest\n" };
    for (const service of services)
      Object.assign(files, serviceFiles(service.name, service.dir, FILES_PER_SERVICE));
    await repo.commit(files);

    const source = createGitHubSource({ log: captureLogger().log });
    const known: Record<string, KnownState> = {};
    const request = (): PollRequest => ({
      repository: { owner: "bench", repo: "deploy", branch: "main", apiUrl: world.server.url, token: TOKEN },
      services,
      known,
    });
    recordApplied(await source.poll(request()), known);

    world.server.resetRequests();
    for (let poll = 0; poll < IDLE_POLLS; poll++) {
      const result = await source.poll(request());
      if (result.status !== "unchanged") throw new Error(`idle poll ${poll} answered ${result.status}`);
    }
    const idle = perPoll(world.server.counts(), IDLE_POLLS);

    world.server.resetRequests();
    for (let change = 0; change < CHANGES; change++) {
      const target = services[change % services.length] as SourceService;
      await repo.commit({ [`${target.dir}/00.yaml`]: manifest(target.name, 0, change + 2) });
      const result = await source.poll(request());
      if (result.status !== "changed") throw new Error(`change ${change} answered ${result.status}`);
      recordApplied(result, known);
    }
    const change = perPoll(world.server.counts(), CHANGES);
    const manifests = Object.keys(files).filter((path) => path.endsWith(".yaml")).length;
    return { services: count, files: manifests, idle, change };
  } finally {
    await world.close();
  }
}

function perPoll(counts: RequestCounts, polls: number): RequestCounts {
  return {
    total: counts.total / polls,
    notModified: counts.notModified / polls,
    charged: counts.charged / polls,
  };
}

function costRows(m: Measured): Row[] {
  const label = `${m.services} svc × ${FILES_PER_SERVICE} files`;
  const seedPerPoll = m.files + m.services;
  const row = (metric: string, value: number, note?: string) =>
    withBaseline({
      bench: "github-cost",
      case: label,
      metric,
      unit: "requests",
      value,
      baseline: SEED,
      baselineValue: seedPerPoll,
      ...(note ? { note } : {}),
    });
  const rows: Row[] = [
    row(
      "requests / idle poll",
      m.idle.total,
      `${m.idle.notModified} answered 304; mean of ${IDLE_POLLS} polls`,
    ),
    row("charged / idle poll", m.idle.charged),
    row("requests / 1-file change", m.change.total, `mean of ${CHANGES} changes`),
    row("charged / 1-file change", m.change.charged),
  ];
  for (const interval of INTERVALS_SECONDS) {
    const polls = 3600 / interval;
    const reposThatFit = (charged: number) =>
      charged === 0 ? Number.POSITIVE_INFINITY : HOURLY_LIMIT / (charged * polls);
    const ours = reposThatFit(m.idle.charged);
    const seed = reposThatFit(seedPerPoll);
    rows.push({
      bench: "github-cost",
      case: label,
      metric: `repos in 5000/h, idle, ${interval} s`,
      unit: "repos",
      value: ours,
      baseline: SEED,
      baselineValue: seed,
      ratio: ours / seed,
      note:
        m.idle.charged === 0
          ? `idle polls are not charged; if 304s were charged: ${Math.floor(HOURLY_LIMIT / polls)} repos`
          : "",
    });
  }
  return rows;
}
