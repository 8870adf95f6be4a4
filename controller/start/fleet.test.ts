import { describe, expect, it } from "vitest";
import { recordingApplyer } from "../../test/recording-applyer.js";
import { fencedApplyer } from "./fleet.js";

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
