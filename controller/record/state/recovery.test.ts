import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { manifest } from "../../../test/github-server/harness.js";
import { createLoopWorld, type LoopWorld } from "../../../test/loop-harness.js";
import { recordingApplyer } from "../../../test/recording-applyer.js";
import type { ControllerState } from "./state.js";

let loop: LoopWorld;
beforeEach(async () => {
  loop = await createLoopWorld();
});
afterEach(async () => {
  await loop.close();
});

/**
 * deployThenRemove deploys web (web-1, web-2) and db with prune on, then, while no controller runs, removes web-2
 * from git: a prune candidate that only the stored inventory knows of.
 */
async function deployThenRemove() {
  await loop.repo.commit({
    "web/deploy.yaml": manifest("web", 1),
    "web/service.yaml": manifest("web", 2),
    "db/config.yaml": manifest("db", 1),
  });
  const cluster = recordingApplyer();
  const config = loop.configFor("prune: true");
  await loop.controllerWith(cluster.applyer, config, { readObject: cluster.readObject }).runOnce();
  await loop.repo.commit({ "web/service.yaml": null });
  const path = join(loop.stateDir, "state.json");
  const stored = JSON.parse(await readFile(path, "utf8")) as ControllerState;
  expect(stored.services.web?.inventory.map((ref) => ref.name)).toEqual(["web-1", "web-2"]);
  return { cluster, config, path, stored };
}

/**
 * restart runs a new controller once on the damaged state and returns each service's status, the names it applied,
 * and whether web-2 (out of git, known only to the lost inventory) is still live.
 */
async function restart({ cluster, config, stored }: Awaited<ReturnType<typeof deployThenRemove>>) {
  const applied = cluster.applied.length;
  const results = await loop
    .controllerWith(cluster.applyer, config, { readObject: cluster.readObject })
    .runOnce();
  const removed = stored.services.web?.inventory[1];
  return {
    statuses: results.map((r) => [r.service, r.status]),
    sent: cluster.names().slice(applied),
    deleted: cluster.deleted,
    removedStillLive: removed ? (await cluster.readObject(removed))?.metadata.name === "web-2" : false,
  };
}

describe("a controller whose state was lost", () => {
  it("starts from a truncated state file: re-applies every service and deletes nothing", async () => {
    const deployed = await deployThenRemove();
    const text = await readFile(deployed.path, "utf8");
    await writeFile(deployed.path, text.slice(0, text.length / 2));

    expect(await restart(deployed)).toEqual({
      statuses: [
        ["web", "applied"],
        ["db", "applied"],
      ],
      sent: [["web-1"], ["db-1"]],
      // web-2 left git, but only the lost inventory knew it was ours: it stays, live, in the cluster.
      deleted: [],
      removedStillLive: true,
    });
    expect((await readdir(loop.stateDir)).filter((name) => name.includes(".corrupt-"))).toHaveLength(1);
  });

  it("drops a malformed service entry: that service re-applies and prunes nothing, the others keep their state", async () => {
    const deployed = await deployThenRemove();
    const { stored } = deployed;
    const web = { ...stored.services.web, lastDeployTime: "not a time" };
    await writeFile(deployed.path, JSON.stringify({ ...stored, services: { ...stored.services, web } }));

    expect(await restart(deployed)).toEqual({
      statuses: [
        ["web", "applied"],
        ["db", "unchanged"],
      ],
      sent: [["web-1"]],
      deleted: [],
      removedStillLive: true,
    });
  });
});
