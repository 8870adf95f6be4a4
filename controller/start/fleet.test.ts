import pino from "pino";
import { describe, expect, it } from "vitest";
import type { KubeRequest } from "../../kube/http.js";
import { recordingApplyer } from "../../test/recording-applyer.js";
import { parseConfig } from "../config/load.js";
import { buildElector } from "./elector.js";
import { buildFleet, fencedApplyer } from "./fleet.js";

const object = {
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "web", namespace: "apps" },
  data: { value: "1" },
};

describe("fencedApplyer", () => {
  it("sends nothing while this member may not act, and says why for each object", async () => {
    const recorder = recordingApplyer();
    let current = false;
    const applyer = fencedApplyer(recorder.applyer, () => current);
    const refused = await applyer.apply([object]);
    const deleted = await applyer.delete([
      { apiVersion: "v1", kind: "ConfigMap", name: "web", namespace: "apps" },
    ]);
    expect(recorder.applied.length + recorder.deleted.length).toBe(0);
    expect(refused.objects.map((result) => [result.name, result.action])).toEqual([["web", "skipped"]]);
    expect(deleted.objects.map((result) => [result.name, result.action])).toEqual([["web", "failed"]]);
    expect(refused.objects[0]?.message).toContain("Lease");
    current = true;
    const sent = await applyer.apply([object]);
    expect(recorder.names()).toEqual([["web"]]);
    expect(sent.objects.map((result) => result.action)).toEqual(["created"]);
  });
});

describe("buildFleet", () => {
  const log = pino({ level: "silent" });
  // Building a member sends nothing: a request would fail this test.
  const request: KubeRequest = async (method, path) => {
    throw new Error(`unexpected ${method} ${path}`);
  };
  const configOf = (lines: string) =>
    parseConfig(`
github_configs: { infra: { repo_owner: org, repo_name: infra } }
services: [{ name: web, github: infra, k8s_yaml_dir: web }]
${lines}
`);
  const pod = { POD_NAME: "gitops-abc", POD_NAMESPACE: "gitops" };
  const run = { once: false, dryRun: false };

  // What the run holds: its own member Lease (fleet), a vote for the leader Lease (leader), or no Lease at all.
  it.each([
    {
      name: "a pod with state: configmap",
      config: "state: configmap",
      env: pod,
      options: run,
      holds: "fleet",
    },
    {
      name: "a pod that opted out",
      config: "state: configmap\nsharding: false",
      env: pod,
      options: run,
      holds: "leader",
    },
    { name: "a pod with state: file", config: "state: file", env: pod, options: run, holds: "leader" },
    { name: "a process run by hand", config: "state: configmap", env: {}, options: run, holds: "none" },
    {
      name: "--once in a pod",
      config: "state: configmap",
      env: pod,
      options: { ...run, once: true },
      holds: "none",
    },
    {
      name: "--dry-run in a pod",
      config: "state: configmap",
      env: pod,
      options: { ...run, dryRun: true },
      holds: "none",
    },
  ])("gives $name: $holds", ({ config, env, options, holds }) => {
    const fleet = buildFleet(configOf(config), options, env, request, log, {
      letGo: async () => {},
      onGained: () => {},
    });
    const elector = fleet ? undefined : buildElector(options, env, request, log, {});
    expect(fleet ? "fleet" : elector ? "leader" : "none").toBe(holds);
    if (fleet) expect(fleet.identity).toBe(pod.POD_NAME);
  });
});
