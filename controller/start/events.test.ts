import type { Logger } from "pino";
import { describe, expect, it } from "vitest";
import type { KubeRequest } from "../../kube/http.js";
import { captureLogger } from "../../test/github-server/harness.js";
import { buildServiceEvents } from "./events.js";

describe("buildServiceEvents", () => {
  it.each([
    { name: "not run in a Pod", env: {}, dryRun: false, why: "POD_NAME and POD_NAMESPACE are not both set" },
    { name: "a Pod without its namespace", env: { POD_NAME: "p" }, dryRun: false, why: "POD_NAMESPACE" },
    {
      name: "a dry run",
      env: { POD_NAME: "p", POD_NAMESPACE: "gitops" },
      dryRun: true,
      why: "a dry run records none",
    },
  ])("records no Events, says why once at info, and never calls the apiserver: $name", ({
    env,
    dryRun,
    why,
  }) => {
    const capture = captureLogger();
    const calls: string[] = [];
    const kube: KubeRequest = async (method, path) => {
      calls.push(`${method} ${path}`);
      return { status: 201, body: {} };
    };
    const events = buildServiceEvents({ dryRun }, env, kube, capture.log as unknown as Logger);
    events.emit("SyncFailed", "web", "boom");
    expect(capture.lines).toEqual([{ level: "info", fields: expect.stringContaining(why) }]);
    expect(calls).toEqual([]);
  });
});
