import pino from "pino";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../config/load.js";
import type { WaitingOn } from "../record/waiting-on.js";
import { heldByDependencies } from "./held-by-dependencies.js";
import type { ChosenService, RepoRun } from "./repo-run.js";

const config = parseConfig(`
github_configs:
  main: { repo_owner: org, repo_name: gitops, token: t0ken }
services:
  - { name: db, github: main, k8s_yaml_dir: db }
  - { name: web, github: main, k8s_yaml_dir: web, depends_on: [db] }
`);

/** runAsking is the part of a run heldByDependencies uses, with the loop's answer and who was asked and held. */
function runAsking(holds: readonly WaitingOn[]) {
  const asked: string[] = [];
  const held: string[] = [];
  const deps = {
    log: pino({ level: "silent" }),
    waitingOn: (service: string) => {
      asked.push(service);
      return holds;
    },
    onHeld: (chosen: ChosenService) => held.push(chosen.service.name),
  };
  return { run: { deps } as unknown as RepoRun, asked, held };
}

const chosen = (name: string): ChosenService => {
  const service = config.services.find((candidate) => candidate.name === name);
  if (!service) throw new Error(`no service ${name}`);
  return { service, trigger: "poll" };
};

describe("heldByDependencies", () => {
  it("holds a service whose dependency is not ready, and tells the loop", () => {
    const { run, asked, held } = runAsking([{ service: "db", reason: "has not landed" }]);
    expect(heldByDependencies(run, chosen("web"), "c1")).toBe(true);
    expect({ asked, held }).toEqual({ asked: ["web"], held: ["web"] });
  });

  it("does not ask what holds a service without dependencies", () => {
    const { run, asked, held } = runAsking([{ service: "db", reason: "has not landed" }]);
    expect(heldByDependencies(run, chosen("db"), "c1")).toBe(false);
    expect({ asked, held }).toEqual({ asked: [], held: [] });
  });
});
