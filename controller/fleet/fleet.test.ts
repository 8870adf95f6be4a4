import pino from "pino";
import { describe, expect, it } from "vitest";
import type { LeaseClock } from "../../common/clock.js";
import { capacity } from "./assign-owners.js";
import { createFleet, type Fleet } from "./fleet.js";
import type { FleetRequest } from "./member-lease.js";
import type { Membership } from "./membership.js";

const log = pino({ level: "silent" });
const SERVICES = Array.from({ length: 60 }, (_, i) => `svc-${String(i).padStart(2, "0")}`);

/**
 * Members share one table of Leases: a claim is written at once (as the early renewal a claim change triggers) and
 * a read lists the live members with what each claims. Time moves only when the test says.
 */
function world() {
  const live = new Set<string>();
  const claims = new Map<string, ReadonlySet<string>>();
  const holding = new Map<string, boolean>();
  const requests = new Map<string, FleetRequest[]>();
  let now = 0;
  let sleepers: (() => void)[] = [];
  const pauses: number[] = [];
  const clock: LeaseClock = {
    now: () => now,
    monotonic: () => now,
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        pauses.push(ms);
        sleepers.push(resolve);
        signal?.addEventListener("abort", () => resolve(), { once: true });
      }),
  };
  // A member in `late` is not counted in at start: its first renewal lands when the test says (`land`).
  const late = new Set<string>();
  const membership = (identity: string): Membership => ({
    identity,
    start: () => {
      if (late.has(identity)) return;
      live.add(identity);
      holding.set(identity, true);
    },
    stop: async () => {
      live.delete(identity);
      claims.delete(identity);
    },
    holds: () => holding.get(identity) === true,
    read: async () => ({
      live: [...live].sort().map((member) => ({
        identity: member,
        lease: member,
        claims: claims.get(member) ?? new Set<string>(),
        requests: requests.get(member) ?? [],
      })),
      sightings: new Map(),
    }),
    claim: (services) => {
      if (live.has(identity)) claims.set(identity, new Set(services));
    },
    claimed: () => claims.get(identity) ?? new Set<string>(),
    passOn: (request) => requests.set(identity, [...(requests.get(identity) ?? []), request]),
  });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  const wake = async () => {
    for (let j = 0; j < 5; j++) await settle();
    const waking = sleepers;
    sleepers = [];
    for (const resolve of waking) resolve();
    for (let j = 0; j < 5; j++) await settle();
  };
  return {
    clock,
    live,
    late,
    /** wake lets every member read the members once more, without time passing. */
    wake,
    /** land counts a late member in, as its first renewal landing does, and lets it read at once. */
    async land(identity: string) {
      for (let j = 0; j < 5; j++) await settle();
      live.add(identity);
      holding.set(identity, true);
      await wake();
    },
    pauses,
    membership,
    /** tick lets every member read the members once more (and time pass by one tick). */
    async tick(times = 1) {
      for (let i = 0; i < times; i++) {
        now += 2_000;
        const waking = sleepers;
        sleepers = [];
        for (const wake of waking) wake();
        for (let j = 0; j < 5; j++) await settle();
      }
    },
    /** kill ends a member as kill -9 does: its Lease stops being renewed and expires. */
    kill(identity: string) {
      live.delete(identity);
      claims.delete(identity);
    },
    advance(ms: number) {
      now += ms;
    },
  };
}

function member(
  w: ReturnType<typeof world>,
  identity: string,
  letGo: (services: ReadonlySet<string>) => Promise<void> = async () => {},
) {
  const gained: { services: ReadonlySet<string>; first: boolean }[] = [];
  const heard: Omit<FleetRequest, "id">[] = [];
  const fleet = createFleet({
    membership: w.membership(identity),
    services: SERVICES,
    letGo,
    onGained: (services, first) => gained.push({ services, first }),
    onRequest: (request) => heard.push(request),
    clock: w.clock,
    log,
  });
  fleet.start();
  return { fleet, gained, heard };
}

const worked = (fleets: readonly Fleet[]) =>
  new Map(
    SERVICES.map((service) => [
      service,
      fleets.filter((fleet) => fleet.works(service)).map((f) => f.identity),
    ]),
  );

describe("createFleet", () => {
  it("shares every service out to exactly one live member, none above the bound", async () => {
    const w = world();
    const members = ["pod-a", "pod-b", "pod-c"].map((id) => member(w, id));
    await w.tick(4);
    const fleets = members.map((m) => m.fleet);
    const byService = worked(fleets);
    expect([...byService.values()].filter((owners) => owners.length !== 1)).toEqual([]);
    const loads = fleets.map((fleet) => SERVICES.filter((service) => fleet.works(service)).length);
    expect(Math.max(...loads)).toBeLessThanOrEqual(capacity(SERVICES.length, 3));
    expect(members.every((m) => m.gained[0]?.first === true)).toBe(true);
    // Every member shows the same view of who owns what.
    const views = fleets.map((fleet) => JSON.stringify([...fleet.view().owners]));
    expect(new Set(views).size).toBe(1);
  });

  it("moves only a dead member's services, and counts them as moves", async () => {
    const w = world();
    const members = ["pod-a", "pod-b", "pod-c"].map((id) => member(w, id));
    await w.tick(4);
    const before = worked(members.map((m) => m.fleet));
    w.kill("pod-c");
    await w.tick(3);
    const survivors = members.slice(0, 2).map((m) => m.fleet);
    const after = worked(survivors);
    const moved = SERVICES.filter((service) => before.get(service)?.[0] !== after.get(service)?.[0]);
    const hadC = SERVICES.filter((service) => before.get(service)?.[0] === "pod-c");
    expect(moved.sort()).toEqual(hadC.sort());
    expect([...after.values()].filter((owners) => owners.length !== 1)).toEqual([]);
    expect(survivors.reduce((sum, fleet) => sum + fleet.moves(), 0)).toBe(hadC.length);
  });

  it("hands a service to a new member only once its old owner let go of it", async () => {
    const w = world();
    let release = () => {};
    const letting = new Promise<void>((resolve) => {
      release = resolve;
    });
    const a = member(w, "pod-a", () => letting);
    await w.tick(3);
    expect(SERVICES.every((service) => a.fleet.works(service))).toBe(true);
    const b = member(w, "pod-b");
    await w.tick(4);
    const toB = SERVICES.filter((service) => b.fleet.view().owners.get(service) === "pod-b");
    expect(toB.length).toBeGreaterThan(0);
    // a stopped working on them at once, and b waits while a's Lease still claims them.
    expect(toB.filter((service) => a.fleet.works(service) || b.fleet.works(service))).toEqual([]);
    release();
    await w.tick(4);
    expect(toB.filter((service) => !b.fleet.works(service))).toEqual([]);
    expect(toB.filter((service) => a.fleet.works(service))).toEqual([]);
  });

  it("works on nothing after a pause past its read, until it has read the members again", async () => {
    const w = world();
    const a = member(w, "pod-a");
    await w.tick(3);
    expect(a.fleet.works(SERVICES[0] as string)).toBe(true);
    w.advance(10_000);
    expect(SERVICES.filter((service) => a.fleet.works(service))).toEqual([]);
    expect(a.fleet.current()).toBe(false);
    await w.tick();
    expect(SERVICES.every((service) => a.fleet.works(service))).toBe(true);
  });

  it("passes a sync request that reached one member on to every other member, once each", async () => {
    const w = world();
    const [a, b, c] = ["pod-a", "pod-b", "pod-c"].map((id) => member(w, id));
    await w.tick(3);
    a?.fleet.passOn({ trigger: "webhook", repoKey: "gitops" });
    a?.fleet.passOn({ trigger: "manual", service: "svc-07" });
    await w.tick(3);
    const expected = [
      { trigger: "webhook", repoKey: "gitops" },
      { trigger: "manual", service: "svc-07" },
    ];
    expect([b?.heard, c?.heard]).toEqual([expected, expected]);
    expect(a?.heard).toEqual([]);
    // A member that joins later does not act on what was asked before it read the Leases.
    const d = member(w, "pod-d");
    await w.tick(3);
    expect(d.heard).toEqual([]);
  });

  it("reads again within moments while a claim waits to be read back, then at its tick", async () => {
    const w = world();
    const a = member(w, "pod-a");
    await w.tick(3);
    expect(SERVICES.every((service) => a.fleet.works(service))).toBe(true);
    // Joined (a tick), claimed (a short pause: the claim's renewal is a round trip), read back alone (a tick).
    expect(w.pauses.slice(0, 3)).toEqual([2_000, 250, 2_000]);
  });

  it("reads again within moments when its first read came before its own Lease landed", async () => {
    const w = world();
    w.late.add("pod-a");
    const a = member(w, "pod-a");
    await w.land("pod-a");
    await w.tick(2);
    expect(SERVICES.every((service) => a.fleet.works(service))).toBe(true);
    // Not counted in yet (a short pause), joined (a tick), claimed (a short pause), read back alone.
    expect(w.pauses.slice(0, 4)).toEqual([250, 2_000, 250, 2_000]);
  });

  it("reads at its tick again once its first renewal has not landed for a whole tick", async () => {
    const w = world();
    w.late.add("pod-a");
    member(w, "pod-a");
    for (let i = 0; i < 8; i++) await w.wake();
    w.advance(2_000);
    await w.wake();
    // Within the first tick it reads every 250 ms; after that, a renewal that keeps failing waits out its tick.
    expect(w.pauses.slice(0, 2)).toEqual([250, 250]);
    expect(w.pauses.at(-1)).toBe(2_000);
  });
});
