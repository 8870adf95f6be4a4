import pino from "pino";
import { describe, expect, it } from "vitest";
import { createManualTime } from "../../test/manual-time.js";
import { parseConfig } from "../config/load.js";
import { createSaveBatch, STATE_FLUSH_MS } from "./save-batch.js";
import type { RecorderHold } from "./save-record.js";
import { createMemoryStateStore } from "./state/memory.js";
import { type AuditEvent, type ControllerState, emptyServiceState, emptyState } from "./state/state.js";
import type { StateStore } from "./state/store.js";

const config = parseConfig(`
github_configs:
  main: { repo_owner: org, repo_name: gitops, token: t }
services:
  - { name: web, github: main, k8s_yaml_dir: web }
`);

/** landed lays service `name` landed at `commit` over a state. */
const landed = (name: string, commit: string) => (state: ControllerState) => ({
  ...state,
  services: { ...state.services, [name]: { ...emptyServiceState(), commit } },
});

/** batchOver is a batch over a store that keeps every state written, refusing the writes `refuse` says to. */
function batchOver(
  options: { refuse?: (write: number) => boolean; mayWrite?: () => boolean; duringWrite?: () => void } = {},
) {
  const time = createManualTime();
  const inner = createMemoryStateStore();
  const written: ControllerState[] = [];
  const store: StateStore = {
    name: "kept",
    load: () => inner.load(),
    async save(state) {
      options.duringWrite?.();
      if (options.refuse?.(written.length + 1)) {
        written.push(emptyState());
        throw new Error("refused");
      }
      written.push(state);
      await inner.save(state);
    },
  };
  const hold: RecorderHold = { state: emptyState(), reachable: true };
  const batch = createSaveBatch(hold, {
    store,
    config,
    clock: time,
    log: pino({ level: "silent" }),
    timers: time,
    ...(options.mayWrite ? { mayWrite: options.mayWrite } : {}),
  });
  const change = (name: string, commit: string) => {
    // Each change adds an audit event too: a change laid twice would show twice.
    const lay = (state: ControllerState) => ({
      ...landed(name, commit)(state),
      events: [...state.events, { service: name } as AuditEvent],
    });
    hold.state = lay(hold.state);
    batch.mark(lay);
  };
  return { time, inner, written, hold, batch, change };
}

const commits = (state: ControllerState | undefined) =>
  Object.fromEntries(Object.entries(state?.services ?? {}).map(([name, s]) => [name, s.commit]));

describe("writing the state in batches", () => {
  it("writes the changes of one flush interval once, with all of them", async () => {
    const { time, written, change } = batchOver();
    for (const name of ["a", "b", "c"]) change(name, "c1");
    await time.advance(STATE_FLUSH_MS - 1);
    expect(written).toHaveLength(0);
    await time.advance(1);
    expect(written.map(commits)).toEqual([{ a: "c1", b: "c1", c: "c1" }]);
    change("a", "c2");
    await time.advance(STATE_FLUSH_MS);
    expect(written.map(commits).at(-1)).toEqual({ a: "c2", b: "c1", c: "c1" });
    expect(written).toHaveLength(2);
  });

  it("writes at once when flushed, and not again when the interval ends", async () => {
    const { time, written, batch, change } = batchOver();
    change("a", "c1");
    await batch.flush();
    expect(written.map(commits)).toEqual([{ a: "c1" }]);
    expect(time.pending()).toBe(0);
    await batch.flush();
    expect(written).toHaveLength(1);
  });

  it("lays every marked change over the state another writer saved, when a write is refused", async () => {
    const { inner, written, batch, change } = batchOver({ refuse: (write) => write === 1 });
    change("a", "c1");
    change("b", "c1");
    await inner.save(landed("other", "o9")(emptyState()));
    await batch.flush();
    expect(written.map(commits)).toEqual([{}, { other: "o9", a: "c1", b: "c1" }]);
  });

  it("keeps the changes of a failed write for the next flush, merge included", async () => {
    const { inner, written, batch, change, hold } = batchOver({ refuse: (write) => write <= 3 });
    change("a", "c1");
    await batch.flush();
    expect(hold.reachable).toBe(false);
    change("b", "c1");
    await inner.save(landed("other", "o9")(emptyState()));
    await batch.flush();
    expect(written.map(commits).at(-1)).toEqual({ other: "o9", a: "c1", b: "c1" });
    expect(hold.reachable).toBe(true);
  });

  it("lays a change marked during a refused write once, and not again at the next merge", async () => {
    let during: (() => void) | undefined;
    const kept = batchOver({ refuse: (write) => write === 1 || write === 3, duringWrite: () => during?.() });
    during = () => {
      during = undefined;
      kept.change("b", "c1");
    };
    kept.change("a", "c1");
    await kept.batch.flush();
    kept.change("c", "c1");
    await kept.batch.flush();
    expect(kept.written.at(-1)?.events.map((event) => event.service)).toEqual(["a", "b", "c"]);
  });

  it("writes nothing once it may not (the leader Lease lost), and forgets what was marked", async () => {
    let leading = true;
    const { written, batch, change } = batchOver({ mayWrite: () => leading });
    change("a", "c1");
    leading = false;
    await batch.flush();
    leading = true;
    await batch.flush();
    expect(written).toHaveLength(0);
  });

  it("forgets what was marked when discarded, timer included", async () => {
    const { time, written, batch, change } = batchOver();
    change("a", "c1");
    batch.discard();
    expect(time.pending()).toBe(0);
    await batch.flush();
    expect(written).toHaveLength(0);
  });
});
