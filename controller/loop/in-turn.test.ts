import { describe, expect, it } from "vitest";
import { inTurn } from "./in-turn.js";

/** gate is a promise a test settles by hand. */
function gate() {
  let open: () => void = () => {};
  let fail: (error: Error) => void = () => {};
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("inTurn", () => {
  it("starts a call only once the one before it settled, in the order they were made", async () => {
    const events: string[] = [];
    const gates = { a: gate(), b: gate() };
    const save = inTurn(async (name: "a" | "b") => {
      events.push(`${name} started`);
      await gates[name].promise;
      events.push(`${name} done`);
    });
    const a = save("a");
    const b = save("b");
    await settle();
    expect(events).toEqual(["a started"]);
    gates.b.open();
    await settle();
    expect(events).toEqual(["a started"]);
    gates.a.open();
    await Promise.all([a, b]);
    expect(events).toEqual(["a started", "a done", "b started", "b done"]);
  });

  it("rejects a failed call for its caller alone, and still runs the next", async () => {
    const first = gate();
    const seen: string[] = [];
    const save = inTurn(async (name: string) => {
      seen.push(name);
      if (name === "a") await first.promise;
    });
    const a = save("a");
    const b = save("b");
    first.fail(new Error("store refused"));
    await expect(a).rejects.toThrow("store refused");
    await expect(b).resolves.toBeUndefined();
    expect(seen).toEqual(["a", "b"]);
  });
});
