import { describe, expect, it } from "vitest";
import { LruCache } from "./lru.js";

describe("LruCache", () => {
  it("evicts the least recently used entries past its weight and refuses one heavier than the limit", () => {
    const cache = new LruCache<string, string>({ maxWeight: 10, weigh: (value) => value.length });
    cache.set("a", "aaaa");
    cache.set("b", "bbbb");
    expect(cache.get("a")).toBe("aaaa");
    cache.set("c", "cccc");
    expect([cache.get("a"), cache.get("b"), cache.get("c")]).toEqual(["aaaa", undefined, "cccc"]);
    cache.set("huge", "x".repeat(11));
    expect(cache.get("huge")).toBeUndefined();
    expect(cache.weight).toBe(8);
    expect(cache.size).toBe(2);
  });
});
