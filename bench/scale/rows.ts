import { FLUX_VERSION } from "../peer/flux.js";
import { type Row, withBaseline } from "../row.js";
import { OBJECTS_PER_SERVICE, SCALE_REPOS } from "./fixtures.js";
import type { Landing } from "./land.js";

/** FLUX names the baseline of every scale row. */
export const FLUX = `Flux ${FLUX_VERSION} source-controller + kustomize-controller`;

/** spaced prints a count with a space between thousands, as the README does ("10 000"). */
export function spaced(count: number): string {
  return count.toLocaleString("en-US").replaceAll(",", " ");
}

/**
 * landingRows are one size's figures: time from process start to every service landed, peak RSS and CPU seconds
 * over that time (against Flux when it ran at this size), and simple-gitops's GitHub requests a repository.
 */
export function landingRows(services: number, sg: Landing, flux?: Landing): Row[] {
  const size = `${spaced(services)} services`;
  const layout = `${spaced(services)} services × ${OBJECTS_PER_SERVICE} ConfigMaps over ${SCALE_REPOS} repositories${
    flux ? ", one Kustomization each for Flux" : ", simple-gitops alone"
  }`;
  const failed = [
    sg.error && `simple-gitops did not land: ${sg.error}`,
    flux?.error && `Flux did not land: ${flux.error}`,
  ]
    .filter(Boolean)
    .join("; ");
  const note = (what: string) => [layout, what, failed].filter(Boolean).join("; ");
  const figure = (
    name: string,
    metric: string,
    unit: string,
    pick: (landing: Landing) => number,
    what: string,
  ): Row => {
    const row = { bench: "scale", case: `${size}, ${name}`, metric, unit, value: pick(sg), note: note(what) };
    return flux ? withBaseline({ ...row, baseline: FLUX, baselineValue: pick(flux) }) : row;
  };
  const rows = [
    figure(
      "start → all landed",
      "time",
      "s",
      (l) => l.seconds,
      "the last object seen by a watch on the apiserver",
    ),
    figure(
      "peak RSS",
      "peak RSS",
      "MiB",
      (l) => l.peakRssMiB,
      "VmHWM when all landed; Flux = sum of its two processes",
    ),
    figure(
      "CPU start → all landed",
      "CPU time",
      "s",
      (l) => l.cpuSeconds,
      "/proc utime+stime when all landed",
    ),
  ];
  const github = sg.github;
  if (github) {
    rows.push({
      bench: "scale",
      case: `${size}, GitHub requests`,
      metric: "charged / repository",
      unit: "requests",
      value: github.charged / SCALE_REPOS,
      note: note(
        `counted at the GitHub test server: ${github.total} requests in all, ${github.notModified} answered 304, ${github.charged} charged`,
      ),
    });
  }
  return rows;
}

/** idleRow is both contenders' CPU seconds over the same idle window, each tracking one repository. */
export function idleRow(
  seconds: number,
  intervalSeconds: number,
  cpu: { sg: number; flux: number },
  polls: string,
): Row {
  return withBaseline({
    bench: "scale",
    case: `CPU over ${seconds} s idle, 1 repository every ${intervalSeconds} s`,
    metric: "CPU time",
    unit: "s",
    value: cpu.sg,
    baseline: FLUX,
    baselineValue: cpu.flux,
    note: `one service of ${OBJECTS_PER_SERVICE} ConfigMaps, nothing changing; same window for both, after the first sync; /proc utime+stime; ${polls}`,
  });
}
