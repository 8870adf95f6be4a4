import { describe, expect, it } from "vitest";
import { emptyServiceState, type ServiceState } from "./state/state.js";
import { dependencyHolds } from "./waiting-on.js";

const C1 = "1111111111111111111111111111111111111111";
const C2 = "2222222222222222222222222222222222222222";
const landed: ServiceState = { ...emptyServiceState(), commit: C1 };
const failedWith = (code: string): ServiceState => ({
  ...landed,
  failures: 1,
  lastError: { code, message: "what went wrong", at: "2026-12-07T12:00:00Z", commit: C2 },
});

describe("dependencyHolds", () => {
  it("holds a service for a dependency that never landed or failed, and says why", () => {
    const holds = dependencyHolds(
      { dependsOn: ["db", "crds", "cache"] },
      { db: undefined, crds: failedWith("E_UNHEALTHY"), cache: landed },
    );
    expect(holds).toEqual([
      { service: "db", reason: "has not landed yet" },
      { service: "crds", reason: "failed at commit 222222222222: E_UNHEALTHY: what went wrong" },
    ]);
  });

  it("lets a service go on when its dependency's set landed and only its prune failed", () => {
    expect(dependencyHolds({ dependsOn: ["ops"] }, { ops: failedWith("E_PRUNE") })).toEqual([]);
    expect(dependencyHolds({ dependsOn: ["ops"] }, { ops: failedWith("E_APPLY") })).toHaveLength(1);
  });
});
