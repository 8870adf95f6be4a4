import { describe, expect, it } from "vitest";
import type { RepoConfig } from "../../config/types.js";
import { resultBase } from "../result.js";
import { withResult } from "../with-result.js";
import { changedShards, createRecordDigests, shardContent } from "./changed-shards.js";
import { shardOf } from "./shard-of.js";
import { splitState } from "./split-state.js";
import { type ControllerState, emptyServiceState, emptyState } from "./state.js";

const SHARDS = 64;
const names = Array.from({ length: 2000 }, (_, i) => `svc-${i}`);
const config = { services: names.map((name) => ({ name, repoKey: "gitops" })) } as never;

function landed(): ControllerState {
  const services = Object.fromEntries(
    names.map((name) => [
      name,
      { ...emptyServiceState(), commit: "a1", files: { [`${name}/cm.yaml`]: "s1" } },
    ]),
  );
  return { ...emptyState(), services };
}

/** contentsOf is what each shard of a state holds, in brief, with the digests one store keeps. */
function contentsOf(state: ControllerState, digestOf = createRecordDigests()) {
  return splitState(state, SHARDS).shards.map((services) => shardContent(services, digestOf));
}

function syncOf(service: string, commit: string) {
  const repo = { key: "gitops", owner: "o", name: "r", branch: "main" } as RepoConfig;
  const base = resultBase({ service, repo, trigger: "poll", dryRun: false, started: 0, now: 1 });
  const result = { ...base, status: "applied" as const, commit };
  const serviceState = { ...emptyServiceState(), commit, files: { [`${service}/cm.yaml`]: commit } };
  return { result, serviceState, events: [] };
}

describe("changedShards", () => {
  it("rewrites only the shard of the one service a sync changed among 2 000", () => {
    const digestOf = createRecordDigests();
    const before = landed();
    const stored = contentsOf(before, digestOf);
    const after = withResult(before, syncOf("svc-42", "b2"), config, 0);
    expect(changedShards(stored, contentsOf(after, digestOf))).toEqual([shardOf("svc-42", SHARDS)]);
  });

  it("rewrites no shard when a record was rebuilt with the same content", () => {
    const stored = contentsOf(landed());
    expect(changedShards(stored, contentsOf(structuredClone(landed())))).toEqual([]);
  });

  it("rewrites the shards of a service added and of one removed", () => {
    const before = landed();
    const { "svc-7": _gone, ...kept } = before.services;
    const after = { ...before, services: { ...kept, "svc-new": emptyServiceState() } };
    expect(changedShards(contentsOf(before), contentsOf(after))).toEqual(
      [shardOf("svc-7", SHARDS), shardOf("svc-new", SHARDS)].sort((a, b) => a - b),
    );
  });

  it("writes a shard whose stored content is not known", () => {
    const stored = contentsOf(landed());
    stored[5] = undefined as never;
    expect(changedShards(stored, contentsOf(landed()))).toEqual([5]);
  });

  it("serializes a record object once however many saves see it", () => {
    const digestOf = createRecordDigests();
    const record = { ...emptyServiceState(), commit: "a1" };
    const first = digestOf(record);
    (record as { commit: string }).commit = "changed behind its back";
    expect(digestOf(record)).toBe(first);
    expect(digestOf({ ...record })).not.toEqual(first);
  });
});
