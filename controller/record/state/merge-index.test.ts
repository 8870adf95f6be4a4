import { describe, expect, it } from "vitest";
import { createRecordDigests } from "./changed-shards.js";
import { mergeIndex } from "./merge-index.js";
import type { IndexState } from "./split-state.js";
import {
  type AuditEvent,
  emptyServiceState,
  emptyState,
  MAX_EVENTS,
  type RepoState,
  type RepoWaiting,
} from "./state.js";

const event = (id: string, second: number): AuditEvent => ({
  id,
  time: new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString(),
  trigger: "poll",
  kind: "apply",
  service: `service-${id}`,
  repo: "gitops",
  commit: "c1",
  result: "succeeded",
  objects: [],
  durationMs: 1,
});
type Repos = Record<string, RepoState>;
const repo = (commit: string, minute: number) => ({
  commit,
  time: new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(),
});
const wait = (until: string): RepoWaiting => ({
  code: "E_RATE_LIMIT",
  message: "wait",
  since: "2026-01-01T00:00:00Z",
  until,
});
const index = (fields: Partial<IndexState>): IndexState => ({ ...emptyState(), shards: 64, ...fields });
const merge = (theirs: IndexState, given: IndexState, mine: IndexState) =>
  mergeIndex(theirs, given, mine, createRecordDigests());

describe("merging the index two members wrote", () => {
  it("keeps both members' audit entries, once each, in time order", () => {
    const given = index({ events: [event("a", 1)] });
    const theirs = index({ events: [event("a", 1), event("b", 4), event("c", 2)] });
    const mine = index({ events: [event("a", 1), event("d", 3)] });
    expect(merge(theirs, given, mine)?.events.map((e) => e.id)).toEqual(["a", "c", "d", "b"]);
  });

  it("keeps the newest MAX_EVENTS entries of the two trails", () => {
    const theirs = index({ events: Array.from({ length: MAX_EVENTS }, (_, i) => event(`t${i}`, 2 * i)) });
    const mine = index({ events: Array.from({ length: MAX_EVENTS }, (_, i) => event(`m${i}`, 2 * i + 1)) });
    const events = merge(theirs, index({}), mine)?.events ?? [];
    expect(events).toHaveLength(MAX_EVENTS);
    expect(events[0]?.id).toBe(`t${MAX_EVENTS / 2}`);
    expect(events.at(-1)?.id).toBe(`m${MAX_EVENTS - 1}`);
  });

  const repoCases: {
    name: string;
    given: Repos;
    theirs: Repos;
    mine: Repos;
    merged: Record<string, string>;
  }[] = [
    {
      name: "a repository only this member moved takes its commit, one only the other moved keeps theirs",
      given: { a: repo("a1", 1), b: repo("b1", 1) },
      theirs: { a: repo("a1", 1), b: repo("b2", 5) },
      mine: { a: repo("a2", 3), b: repo("b1", 1) },
      merged: { a: "a2", b: "b2" },
    },
    {
      name: "a repository both moved takes the later move, the other's",
      given: { a: repo("a1", 1) },
      theirs: { a: repo("a3", 9) },
      mine: { a: repo("a2", 3) },
      merged: { a: "a3" },
    },
    {
      name: "a repository both moved takes the later move, this member's",
      given: { a: repo("a1", 1) },
      theirs: { a: repo("a2", 3) },
      mine: { a: repo("a3", 9) },
      merged: { a: "a3" },
    },
  ];
  it.each(repoCases)("$name", ({ given, theirs, mine, merged }) => {
    const result = merge(index({ repos: theirs }), index({ repos: given }), index({ repos: mine }));
    expect(
      Object.fromEntries(Object.entries(result?.repos ?? {}).map(([key, r]) => [key, r.commit])),
    ).toEqual(merged);
  });

  it("takes the rate-limit waits this member set or cleared, and the other's on the rest", () => {
    const given = index({ waiting: { a: wait("t1"), b: wait("t1") } });
    const theirs = index({ waiting: { a: wait("t2"), b: wait("t2"), c: wait("t2") } });
    const mine = index({ waiting: { a: wait("t3") } });
    expect(merge(theirs, given, mine)?.waiting).toEqual({ a: wait("t3"), c: wait("t2") });
  });

  it("merges the services an index holds before the split like a shard's", () => {
    const record = (commit: string) => ({ ...emptyServiceState(), commit });
    const given = index({ shards: undefined, services: { web: record("w1"), db: record("d1") } });
    const theirs = index({ shards: undefined, services: { web: record("w1"), db: record("d2") } });
    const mine = index({ shards: undefined, services: { web: record("w2"), db: record("d1") } });
    const services = merge(theirs, given, mine)?.services ?? {};
    expect([services.web?.commit, services.db?.commit]).toEqual(["w2", "d2"]);
  });

  it("keeps a field this version does not know as the other wrote it", () => {
    const theirs = { ...index({}), owners: { web: "pod-a" } } as IndexState;
    expect(merge(theirs, index({}), index({ events: [event("a", 1)] }))).toMatchObject({
      owners: { web: "pod-a" },
    });
  });

  it("does not merge indexes that disagree on the layout", () => {
    expect(
      merge(index({ shards: undefined }), index({ shards: undefined }), index({ shards: 64 })),
    ).toBeUndefined();
  });
});
