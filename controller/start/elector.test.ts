import pino from "pino";
import { describe, expect, it } from "vitest";
import type { KubeRequest } from "../../kube/http.js";
import { buildElector } from "./elector.js";

const log = pino({ level: "silent" });
// Building an elector sends nothing: a request would fail this test.
const request: KubeRequest = async (method, path) => {
  throw new Error(`unexpected ${method} ${path}`);
};
const pod = { POD_NAME: "gitops-abc", POD_NAMESPACE: "gitops" };
const run = { once: false, dryRun: false };

describe("buildElector", () => {
  it.each([
    { name: "a replica in a pod", env: pod, options: run, elects: true },
    { name: "a process run by hand", env: {}, options: run, elects: false },
    { name: "a pod without its name", env: { POD_NAMESPACE: "gitops" }, options: run, elects: false },
    { name: "a pod without its namespace", env: { POD_NAME: "gitops-abc" }, options: run, elects: false },
    { name: "--once in a pod", env: pod, options: { ...run, once: true }, elects: false },
    { name: "--dry-run in a pod", env: pod, options: { ...run, dryRun: true }, elects: false },
  ])("elects a leader only for $name when it should ($elects)", ({ env, options, elects }) => {
    const elector = buildElector(options, env, request, log, {});
    expect(elector !== undefined).toBe(elects);
  });
});
