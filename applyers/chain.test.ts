import pino from "pino";
import { describe, expect, it } from "vitest";
import type { KubeObject } from "../kube/objects.js";
import { type Applyer, ApplyerUnavailableError, type ApplyResult } from "./applyer.js";
import { createApplyerChain } from "./chain.js";

const object: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "x" } };

interface Behaviour {
  install?: "ok" | "unavailable";
  apply?: "ok" | "rejects-object" | "unavailable" | "crashes";
}

function stub(name: string, behaviour: Behaviour, seen: string[]): Applyer {
  return {
    name,
    async ensureInstalled() {
      seen.push(`${name}.install`);
      if (behaviour.install === "unavailable") throw new ApplyerUnavailableError(name, "download failed");
    },
    async apply(objects): Promise<ApplyResult> {
      seen.push(`${name}.apply`);
      if (behaviour.apply === "unavailable") throw new ApplyerUnavailableError(name, "spawn ENOENT");
      if (behaviour.apply === "crashes") throw new Error("boom");
      const action = behaviour.apply === "rejects-object" ? "failed" : "created";
      return {
        applyer: name,
        objects: objects.map((o) => ({ ...o.metadata, apiVersion: o.apiVersion, kind: o.kind, action })),
      };
    },
    async delete() {
      seen.push(`${name}.delete`);
      return { applyer: name, objects: [] };
    },
  };
}

function memoryLog() {
  const lines: string[] = [];
  const log = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line).msg) });
  return { log, lines };
}

describe("createApplyerChain", () => {
  it.each([
    {
      name: "first applyer works",
      behaviours: [{}, {}],
      applier: "nokube",
      seen: ["nokube.install", "nokube.apply"],
    },
    {
      name: "first cannot be installed: the second applies",
      behaviours: [{ install: "unavailable" }, {}],
      applier: "kubectl",
      seen: ["nokube.install", "kubectl.install", "kubectl.apply"],
    },
    {
      name: "first cannot be started: the second applies",
      behaviours: [{ apply: "unavailable" }, {}],
      applier: "kubectl",
      seen: ["nokube.install", "nokube.apply", "kubectl.install", "kubectl.apply"],
    },
    {
      name: "first rejects the object: the failure stands, nothing is re-sent",
      behaviours: [{ apply: "rejects-object" }, {}],
      applier: "nokube",
      seen: ["nokube.install", "nokube.apply"],
    },
  ] as { name: string; behaviours: Behaviour[]; applier: string; seen: string[] }[])("$name", async ({
    behaviours,
    applier,
    seen: expected,
  }) => {
    const seen: string[] = [];
    const chain = createApplyerChain({
      applyers: [stub("nokube", behaviours[0] ?? {}, seen), stub("kubectl", behaviours[1] ?? {}, seen)],
      log: pino({ level: "silent" }),
    });
    const result = await chain.apply([object]);
    expect(result.applyer).toBe(applier);
    expect(seen).toEqual(expected);
  });

  it("says in the log which applyer was unavailable and which one takes over", async () => {
    const { log, lines } = memoryLog();
    const chain = createApplyerChain({
      applyers: [stub("nokube", { install: "unavailable" }, []), stub("kubectl", {}, [])],
      log,
    });
    await chain.apply([object]);
    expect(lines).toEqual(["applyer nokube unavailable for apply; handing over to kubectl"]);
  });

  it("fails with every reason when no applyer is available", async () => {
    const chain = createApplyerChain({
      applyers: [
        stub("nokube", { install: "unavailable" }, []),
        stub("kubectl", { apply: "unavailable" }, []),
      ],
      log: pino({ level: "silent" }),
    });
    await expect(chain.apply([object])).rejects.toThrow(
      /no applyer could apply: applyer nokube is unavailable: download failed; applyer kubectl is unavailable: spawn ENOENT/,
    );
  });

  it("does not hand over on an unexpected error", async () => {
    const seen: string[] = [];
    const chain = createApplyerChain({
      applyers: [stub("nokube", { apply: "crashes" }, seen), stub("kubectl", {}, seen)],
      log: pino({ level: "silent" }),
    });
    await expect(chain.apply([object])).rejects.toThrow("boom");
    expect(seen).not.toContain("kubectl.apply");
  });

  it("installs an applyer once, not on every apply", async () => {
    const seen: string[] = [];
    const chain = createApplyerChain({
      applyers: [stub("kubectl", {}, seen)],
      log: pino({ level: "silent" }),
    });
    await chain.apply([object]);
    await chain.apply([object]);
    await chain.delete([]);
    expect(seen).toEqual(["kubectl.install", "kubectl.apply", "kubectl.apply", "kubectl.delete"]);
  });

  it("shares one install between applies that start at once (repositories sync concurrently)", async () => {
    const seen: string[] = [];
    const chain = createApplyerChain({
      applyers: [stub("nokube", {}, seen)],
      log: pino({ level: "silent" }),
    });
    await Promise.all([chain.apply([object]), chain.apply([object]), chain.apply([object])]);
    expect(seen.filter((step) => step === "nokube.install")).toHaveLength(1);
    expect(seen.filter((step) => step === "nokube.apply")).toHaveLength(3);
  });
});
