import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { startTestServer } from "../test/server/test-harness.js";
import { type Row, withBaseline } from "./row.js";
import { median } from "./stats.js";

/** ReleaseTreeOptions bound the static release tree benchmark. */
export interface ReleaseTreeOptions {
  readonly durationSeconds?: number;
  readonly repetitions?: number;
  readonly connections?: number;
}

const BASELINE = "node:http + fs.createReadStream";
const autocannon = fileURLToPath(new URL("../node_modules/.bin/autocannon", import.meta.url));
const FILES = [
  { label: "app.tar.gz (10 MB)", path: "/apps/web/app.tar.gz" },
  { label: "init.sh (small)", path: "/scripts/web/init.sh" },
] as const;

interface Load {
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  readonly errors: number;
}

/**
 * benchReleaseTree loads the controller's release tree (createServer with `releaseDir`: the traversal and symlink
 * checks, then release-file.ts) and a bare `http` + `createReadStream` server with the same files, on loopback,
 * with autocannon in its own process for a bounded duration, taking turns, and reports requests/s and p99 latency.
 */
export async function benchReleaseTree(options: ReleaseTreeOptions = {}): Promise<Row[]> {
  const duration = options.durationSeconds ?? 5;
  const repetitions = options.repetitions ?? 3;
  const connections = options.connections ?? 10;
  const root = await mkdtemp(join(tmpdir(), "bench-release-"));
  let baseline: Server | undefined;
  let controller: Awaited<ReturnType<typeof startTestServer>> | undefined;
  try {
    await mkdir(join(root, "apps/web"), { recursive: true });
    await mkdir(join(root, "scripts/web"), { recursive: true });
    await writeFile(join(root, "apps/web/app.tar.gz"), randomBytes(10 * 1024 * 1024));
    await writeFile(
      join(root, "scripts/web/init.sh"),
      '#!/bin/sh\nset -eu\ncurl -fsSL "$RELEASE_URL/apps/web/app.tar.gz" | tar -xz -C /srv/web\nexec /srv/web/run\n',
    );
    controller = await startTestServer({ releaseDir: root });
    baseline = await plainServer(root);
    const servers = {
      controller: controller.url,
      baseline: `http://127.0.0.1:${(baseline.address() as AddressInfo).port}`,
    };

    const rows: Row[] = [];
    for (const file of FILES) {
      const loads = { controller: [] as Load[], baseline: [] as Load[] };
      for (let rep = 0; rep < repetitions; rep++) {
        for (const who of rep % 2 === 0
          ? (["controller", "baseline"] as const)
          : (["baseline", "controller"] as const)) {
          loads[who].push(await load(`${servers[who]}${file.path}`, duration, connections));
        }
      }
      const pick = (who: "controller" | "baseline", key: keyof Load) => median(loads[who].map((l) => l[key]));
      const errors = pick("controller", "errors") + pick("baseline", "errors");
      const note = `median of ${repetitions} × ${duration} s, ${connections} connections${errors > 0 ? `; ${errors} errors/non-2xx` : ""}`;
      rows.push(
        withBaseline({
          bench: "release-tree",
          case: file.label,
          metric: "requests/s",
          unit: "req/s",
          value: pick("controller", "requestsPerSecond"),
          baseline: BASELINE,
          baselineValue: pick("baseline", "requestsPerSecond"),
          note,
        }),
        withBaseline({
          bench: "release-tree",
          case: file.label,
          metric: "p99 latency",
          unit: "ms",
          value: pick("controller", "p99Ms"),
          baseline: BASELINE,
          baselineValue: pick("baseline", "p99Ms"),
          note,
        }),
      );
    }
    return rows;
  } finally {
    await controller?.server.close();
    await new Promise((resolve) => (baseline ? baseline.close(resolve) : resolve(undefined)));
    await rm(root, { recursive: true, force: true });
  }
}

async function load(url: string, duration: number, connections: number): Promise<Load> {
  const result = await execa(
    autocannon,
    ["--json", "--no-progress", "-d", String(duration), "-c", String(connections), url],
    {
      timeout: (duration + 30) * 1000,
    },
  );
  const report = JSON.parse(result.stdout) as {
    duration: number;
    requests: { average: number; total: number };
    latency: { p99: number };
    errors: number;
    non2xx: number;
    timeouts: number;
  };
  return {
    // total / duration rather than the per-second average: a 10 MB file completes only a few times a second.
    requestsPerSecond:
      report.duration > 0 ? report.requests.total / report.duration : report.requests.average,
    p99Ms: report.latency.p99,
    errors: report.errors + report.non2xx + report.timeouts,
  };
}

/** plainServer is the baseline: the least a Node server can do to send a file. */
async function plainServer(root: string): Promise<Server> {
  const server = createServer(async (req, res) => {
    const path = join(root, normalize(decodeURIComponent((req.url ?? "/").split("?")[0] ?? "/")));
    try {
      const info = await stat(path);
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": info.size });
      createReadStream(path).pipe(res);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}
