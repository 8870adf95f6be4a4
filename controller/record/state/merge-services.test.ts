import { describe, expect, it } from "vitest";
import { createRecordDigests } from "./changed-shards.js";
import { mergeServices } from "./merge-services.js";
import { emptyServiceState, type ServiceState } from "./state.js";

const at = (commit: string): ServiceState => ({
  ...emptyServiceState(),
  commit,
  lastDeployTime: "2026-01-01T00:00:00Z",
});
/** readBack is a record as the apiserver gives it back: the same JSON with its keys in another order. */
const readBack = (record: ServiceState): ServiceState =>
  Object.fromEntries(Object.entries(JSON.parse(JSON.stringify(record))).reverse()) as unknown as ServiceState;

type Services = Record<string, ServiceState>;
const given: Services = { web: at("w1"), db: at("d1"), cache: at("c1") };

describe("merging the records of two writers of one ConfigMap", () => {
  const cases: { name: string; theirs: Services; mine: Services; merged: Record<string, string> }[] = [
    {
      name: "keeps the other's new records and lays this writer's own over them",
      theirs: { ...given, db: at("d2") },
      mine: { ...given, web: at("w2") },
      merged: { web: "w2", db: "d2", cache: "c1" },
    },
    {
      name: "adds a service only this writer recorded, and keeps one only the other did",
      theirs: { ...given, queue: at("q1") },
      mine: { ...given, api: at("a1") },
      merged: { web: "w1", db: "d1", cache: "c1", queue: "q1", api: "a1" },
    },
    {
      name: "removes a service this writer removed and the other left as it was",
      theirs: { ...given, db: at("d2") },
      mine: { web: given.web as ServiceState, db: given.db as ServiceState },
      merged: { web: "w1", db: "d2" },
    },
    {
      name: "takes a record read back with its keys in another order as one the other did not change",
      theirs: { ...given, web: readBack(given.web as ServiceState), db: at("d2") },
      mine: { ...given, web: at("w2") },
      merged: { web: "w2", db: "d2", cache: "c1" },
    },
    {
      name: "takes a record this writer holds with its keys in another order as one it did not change",
      theirs: { ...given, web: at("w3") },
      mine: { ...given, web: readBack(given.web as ServiceState), db: at("d2") },
      merged: { web: "w3", db: "d2", cache: "c1" },
    },
    {
      name: "accepts a record both changed the same way",
      theirs: { ...given, web: readBack(at("w2")) },
      mine: { ...given, web: at("w2") },
      merged: { web: "w2", db: "d1", cache: "c1" },
    },
  ];
  it.each(cases)("$name", ({ theirs, mine, merged }) => {
    const result = mergeServices(theirs, given, mine, createRecordDigests());
    expect(
      Object.fromEntries(Object.entries(result ?? {}).map(([name, record]) => [name, record.commit])),
    ).toEqual(merged);
  });

  const refused: { name: string; theirs: Services }[] = [
    { name: "a record both changed, each differently", theirs: { ...given, web: at("w3") } },
    { name: "a record this writer changed and the other removed", theirs: { db: at("d1"), cache: at("c1") } },
    { name: "a service both added, each differently", theirs: { ...given, api: at("a0") } },
  ];
  it.each(refused)("does not merge $name: two writers each took the service for theirs", ({ theirs }) => {
    const mine = { ...given, web: at("w2"), api: at("a1") };
    expect(mergeServices(theirs, given, mine, createRecordDigests())).toBeUndefined();
  });
});
