import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { manifest } from "../../test/github-server/harness.js";
import { createLoopWorld, type LoopWorld } from "../../test/loop-harness.js";
import { recordingApplyer } from "../../test/recording-applyer.js";
import { aliasBomb } from "./render/hostile-yaml.js";
import { MAX_NODES_PER_FILE } from "./render/parse.js";

let loop: LoopWorld;
beforeEach(async () => {
  loop = await createLoopWorld();
});
afterEach(async () => {
  await loop.close();
});

describe("hostile git content", () => {
  // Without the node budget this sync does not finish in the test's time: it expands 9^9 strings and runs out of
  // memory or ends in E_INTERNAL "Invalid string length", naming no file.
  it("fails the service holding an alias bomb, naming the file and the budget; the other service lands", async () => {
    await loop.repo.commit({
      "web/deploy.yaml": manifest("web", 1),
      "web/bomb.yaml": aliasBomb(),
      "db/config.yaml": manifest("db", 1),
    });
    const recorder = recordingApplyer();
    const controller = loop.controllerWith(recorder.applyer);
    const results = await controller.runOnce();
    const web = results.find((result) => result.service === "web");
    expect(web?.status).toBe("failed");
    expect(web?.error?.code).toBe("E_MANIFEST_TOO_LARGE");
    expect(web?.error?.message).toContain("web/bomb.yaml: refused");
    expect(web?.error?.message).toContain(`${MAX_NODES_PER_FILE.toLocaleString("en-US")} nodes`);
    // Only the bomb is named: the harmless file of its service parsed, though nothing of web was applied.
    expect(web?.files.failed.map((failure) => failure.path)).toEqual(["web/bomb.yaml"]);
    expect(recorder.names()).toEqual([["db-1"]]);
    expect(results.find((result) => result.service === "db")?.status).toBe("applied");
    expect(controller.getState().services.web?.commit).toBeUndefined();
  });
});
