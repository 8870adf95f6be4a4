import { setTimeout as sleep } from "node:timers/promises";
import { cpuSeconds } from "../peer/proc.js";
import type { Row } from "../row.js";
import { scaleRun } from "./fixtures.js";
import { type Contender, inTurn, landed, runFlux, runSg, type ScaleContext } from "./land.js";
import { idleRow } from "./rows.js";

const INTERVAL_SECONDS = 5;
// After the first sync, what follows it (state writes, Flux's status updates) settles before the window opens.
const SETTLE_MS = 20_000;

/**
 * idleRows runs both contenders at once on one repository each, polled every 5 s with nothing changing, and
 * measures their CPU seconds over the same window of `seconds`.
 */
export async function idleRows(ctx: ScaleContext, seconds: number): Promise<Row[]> {
  const runs = { flux: scaleRun(1, "idle-flux", 1), sg: scaleRun(1, "idle-sg", 1) };
  const started: Contender[] = [];
  try {
    started.push(await runFlux(ctx, runs.flux, INTERVAL_SECONDS));
    started.push(await runSg(ctx, runs.sg, INTERVAL_SECONDS));
    const [flux, sg] = started as [Contender, Contender];
    await landed(ctx, runs.flux, 300_000);
    await landed(ctx, runs.sg, 120_000);
    await sleep(SETTLE_MS);
    const before = {
      flux: await cpuSeconds(flux.pids),
      sg: await cpuSeconds(sg.pids),
      github: sg.github?.(),
    };
    await sleep(seconds * 1000);
    const cpu = {
      flux: (await cpuSeconds(flux.pids)) - before.flux,
      sg: (await cpuSeconds(sg.pids)) - before.sg,
    };
    const after = sg.github?.();
    const polls =
      after && before.github
        ? `simple-gitops sent ${after.total - before.github.total} GitHub requests in the window, ${
            after.notModified - before.github.notModified
          } answered 304`
        : "";
    return [idleRow(seconds, INTERVAL_SECONDS, cpu, polls)];
  } finally {
    await inTurn(started.reverse().map((contender) => () => contender.stop()));
  }
}
