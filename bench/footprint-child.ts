/**
 * footprint-child runs in its own process for the footprint benchmark, so that its RSS and CPU time are only what
 * it does. Input: the JSON of a FootprintJob in the BENCH_FOOTPRINT env var; output: one FootprintSample as JSON on
 * stdout. Mode "controller" runs the real loop (createController, GitHub source, file state store, pino at info
 * level into /dev/null) with an applyer that only answers, and times idle poll runs; mode "baseline" sends the same
 * conditional branch requests with bare `fetch` and nothing else, the least an idle poll can cost.
 */
import { rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import type { Applyer } from "../applyers/applyer.js";
import { systemClock, systemTimers } from "../common/clock.js";
import { parseConfig } from "../controller/config/load.js";
import { createController } from "../controller/loop/controller.js";
import { createFileStateStore } from "../controller/record/state/file.js";
import { createGitHubSource } from "../controller/source/github.js";
import { refOf } from "../kube/objects.js";
import type { FootprintJob, FootprintSample } from "./footprint.js";

const job = JSON.parse(process.env.BENCH_FOOTPRINT ?? "{}") as FootprintJob;

async function controllerPolls(): Promise<() => Promise<void>> {
  const log = pino({ level: "info" }, pino.destination({ dest: "/dev/null", sync: false }));
  const repos = job.repos
    .map(
      (name) =>
        `  ${name}: { repo_owner: bench, repo_name: ${name}, token: ${job.token}, api_url: "${job.url}" }`,
    )
    .join("\n");
  const services = job.repos
    .map((name) => `  - { name: ${name}, github: ${name}, k8s_yaml_dir: app, stateless: false }`)
    .join("\n");
  const config = parseConfig(
    `github_configs:\n${repos}\nservices:\n${services}\npoll_interval: 3600\nhealth_timeout: 0\n`,
    "bench-footprint.yaml",
  );
  const applyer: Applyer = {
    name: "answering",
    async ensureInstalled() {},
    async apply(objects) {
      return {
        applyer: "answering",
        objects: objects.map((object) => ({ ...refOf(object), action: "created" })),
      };
    },
    async delete(refs) {
      return { applyer: "answering", objects: refs.map((ref) => ({ ...ref, action: "deleted" })) };
    },
  };
  const stateDir = await mkdtemp(join(tmpdir(), "bench-footprint-"));
  // Synchronous: an exit handler cannot wait for a promise.
  process.on("exit", () => rmSync(stateDir, { recursive: true, force: true }));
  const controller = createController({
    config,
    source: createGitHubSource({ log }),
    applyer,
    store: createFileStateStore(stateDir),
    clock: systemClock,
    timers: systemTimers,
    log,
  });
  await controller.start();
  await controller.idle();
  return async () => {
    controller.requestSync({ trigger: "poll" });
    await controller.idle();
  };
}

async function baselinePolls(): Promise<() => Promise<void>> {
  const etags = new Map<string, string>();
  const pollOne = async (name: string) => {
    const etag = etags.get(name);
    const response = await fetch(`${job.url}/repos/bench/${name}/branches/main`, {
      headers: { authorization: `token ${job.token}`, ...(etag ? { "if-none-match": etag } : {}) },
    });
    await response.arrayBuffer();
    const received = response.headers.get("etag");
    if (received) etags.set(name, received);
  };
  return async () => {
    for (const name of job.repos) await pollOne(name);
  };
}

const poll = job.mode === "controller" ? await controllerPolls() : await baselinePolls();
for (let i = 0; i < job.warmup; i++) await poll();
const cpuBefore = process.cpuUsage();
const wallBefore = performance.now();
for (let i = 0; i < job.polls; i++) await poll();
const cpu = process.cpuUsage(cpuBefore);
const wallMs = performance.now() - wallBefore;
const memory = process.memoryUsage();
const sample: FootprintSample = {
  cpuMsPerPoll: (cpu.user + cpu.system) / 1000 / job.polls,
  wallMsPerPoll: wallMs / job.polls,
  rssMiB: memory.rss / 1024 ** 2,
  heapUsedMiB: memory.heapUsed / 1024 ** 2,
};
process.stdout.write(`${JSON.stringify(sample)}\n`);
process.exit(0);
