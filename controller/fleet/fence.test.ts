import { describe, expect, it } from "vitest";
import { type Claims, fence } from "./fence.js";

const set = (...names: string[]) => new Set(names);
const claims = (entries: Record<string, string[]>): Claims =>
  new Map(Object.entries(entries).map(([member, names]) => [member, new Set(names)]));
const owned = (entries: Record<string, string>) => new Map(Object.entries(entries));

describe("fence", () => {
  const cases: {
    name: string;
    input: {
      owners: Record<string, string>;
      read: Record<string, string[]>;
      claimed: string[];
      identity?: string;
    };
    want: { claim: string[]; work: string[]; waiting: string[] };
  }[] = [
    {
      name: "claims an assigned service nobody holds, and does not work on it before reading its claim back",
      input: { owners: { web: "a" }, read: {}, claimed: [] },
      want: { claim: ["web"], work: [], waiting: [] },
    },
    {
      name: "works on a service once a read shows its claim and no other",
      input: { owners: { web: "a" }, read: { a: ["web"], b: [] }, claimed: ["web"] },
      want: { claim: ["web"], work: ["web"], waiting: [] },
    },
    {
      name: "waits, without claiming, for a service another live member still holds",
      input: { owners: { web: "a" }, read: { a: [], b: ["web"] }, claimed: [] },
      want: { claim: [], work: [], waiting: ["web"] },
    },
    {
      name: "lets go of a service assigned to another member",
      input: { owners: { web: "b" }, read: { a: ["web"] }, claimed: ["web"] },
      want: { claim: [], work: [], waiting: [] },
    },
    {
      name: "keeps, not working, a service both claimed when it is the lesser identity",
      input: { owners: { web: "a" }, read: { a: ["web"], b: ["web"] }, claimed: ["web"] },
      want: { claim: ["web"], work: [], waiting: ["web"] },
    },
    {
      name: "lets go of a service both claimed when it is the greater identity",
      input: { owners: { web: "b" }, read: { a: ["web"], b: ["web"] }, claimed: ["web"], identity: "b" },
      want: { claim: [], work: [], waiting: ["web"] },
    },
    {
      name: "does not work on a claim its last read predates, though its Lease carries it now",
      input: { owners: { web: "a" }, read: { a: [], b: [] }, claimed: ["web"] },
      want: { claim: ["web"], work: [], waiting: [] },
    },
    {
      name: "does not work on a claim its Lease no longer carries, whatever an older read showed",
      input: { owners: { web: "a" }, read: { a: ["web"] }, claimed: [] },
      want: { claim: ["web"], work: [], waiting: [] },
    },
  ];
  it.each(cases)("$name", ({ input, want }) => {
    const decision = fence({
      identity: input.identity ?? "a",
      owners: owned(input.owners),
      read: claims(input.read),
      claimed: set(...input.claimed),
    });
    expect({
      claim: [...decision.claim].sort(),
      work: [...decision.work].sort(),
      waiting: [...decision.waiting].sort(),
    }).toEqual(want);
  });
});

/**
 * A model of two members and their Leases: each step is one member's renewal (it writes what fence says to claim,
 * having first stopped working on what it lets go of) or one member's read (a snapshot of both Leases); after
 * either, it works on what fence says from what it knows then. Every interleaving of their steps is run, with views of the membership that agree
 * or not, and after every step no service may be worked on by both.
 */
describe("fence, over every interleaving of two members' renewals and reads", () => {
  type Member = { claimed: Set<string>; read: Claims; working: Set<string>; owners: Map<string, string> };
  type Step = { member: "a" | "b"; kind: "renew" | "read" };

  function interleavings(perMember: number): Step[][] {
    const out: Step[][] = [];
    const walk = (a: number, b: number, path: Step[]) => {
      if (a === perMember && b === perMember) return void out.push(path);
      const next = (member: "a" | "b", done: number) =>
        ({ member, kind: done % 2 === 0 ? "renew" : "read" }) as Step;
      if (a < perMember) walk(a + 1, b, [...path, next("a", a)]);
      if (b < perMember) walk(a, b + 1, [...path, next("b", b)]);
    };
    walk(0, 0, []);
    return out;
  }

  function run(steps: readonly Step[], views: { a: Record<string, string>; b: Record<string, string> }) {
    const leases = new Map<string, Set<string>>([
      ["a", new Set()],
      ["b", new Set()],
    ]);
    const members: Record<"a" | "b", Member> = {
      a: { claimed: new Set(), read: new Map(), working: new Set(), owners: owned(views.a) },
      b: { claimed: new Set(), read: new Map(), working: new Set(), owners: owned(views.b) },
    };
    const overlaps: string[] = [];
    for (const [index, { member, kind }] of steps.entries()) {
      const self = members[member];
      const decision = fence({
        identity: member,
        owners: self.owners,
        read: self.read,
        claimed: self.claimed,
      });
      if (kind === "renew") {
        for (const service of self.working) if (!decision.claim.has(service)) self.working.delete(service);
        self.claimed = new Set(decision.claim);
        leases.set(member, new Set(decision.claim));
      } else {
        self.read = new Map([...leases].map(([name, held]) => [name, new Set(held)]));
      }
      // After either step the member works on what fence says from all it knows now.
      self.working = new Set(
        fence({ identity: member, owners: self.owners, read: self.read, claimed: self.claimed }).work,
      );
      const both = [...members.a.working].filter((service) => members.b.working.has(service));
      if (both.length > 0) overlaps.push(`step ${index} (${member} ${kind}): both work on ${both.join()}`);
    }
    return { overlaps, working: { a: [...members.a.working], b: [...members.b.working] } };
  }

  const views = [
    { name: "both see the same owner", a: { web: "a" }, b: { web: "a" } },
    { name: "each thinks it owns the service", a: { web: "a" }, b: { web: "b" } },
    { name: "each thinks the other owns it", a: { web: "b" }, b: { web: "a" } },
  ];

  it.each(views)("never has both work on one service: $name", (view) => {
    const paths = interleavings(6);
    expect(paths.length).toBe(924);
    const found = paths.flatMap((steps) => run(steps, view).overlaps);
    expect(found).toEqual([]);
  });

  it("hands the service to its owner once both see the same owner, in every interleaving", () => {
    for (const steps of interleavings(6)) {
      // Both renew and read twice more after the interleaving: the owner works on it, the other does not.
      const again = (member: "a" | "b"): Step[] => [
        { member, kind: "renew" },
        { member, kind: "read" },
      ];
      const settled = [...steps, ...again("a"), ...again("b"), ...again("a"), ...again("b")];
      const { working } = run(settled, { a: { web: "a" }, b: { web: "a" } });
      expect(working).toEqual({ a: ["web"], b: [] });
    }
  });
});
