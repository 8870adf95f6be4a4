import { describe, expect, it } from "vitest";
import { containerMemory, DEFAULT_MEMORY, DEFAULT_MEMORY_LIMIT } from "./container-memory.js";

describe("containerMemory", () => {
  it("gives the default limit the default request, so the flag left out and given as its default agree", () => {
    expect(containerMemory(DEFAULT_MEMORY_LIMIT)).toEqual(DEFAULT_MEMORY);
  });

  it.each([
    { name: "a binary quantity", limit: "1Gi", request: "384Mi" },
    { name: "a fraction of one", limit: "1.5Gi", request: "576Mi" },
    { name: "the same size in Ki", limit: "1048576Ki", request: "384Mi" },
    { name: "a decimal quantity, rounded up to a MiB", limit: "1000M", request: "358Mi" },
    { name: "an exponent", limit: "2e9", request: "716Mi" },
    { name: "plain bytes", limit: "536870912", request: "192Mi" },
    { name: "the least limit accepted", limit: "96Mi", request: "36Mi" },
  ])("keeps $name as the limit and the default's share of it as the request", ({ limit, request }) => {
    expect(containerMemory(limit)).toEqual({ request, limit });
  });

  it.each([
    { name: "a unit Kubernetes does not know", limit: "1GB", error: '"1GB" is not a Kubernetes quantity' },
    { name: "a space", limit: "1 Gi", error: '"1 Gi" is not a Kubernetes quantity' },
    { name: "no number", limit: "Gi", error: '"Gi" is not a Kubernetes quantity' },
    { name: "nothing", limit: "", error: '"" is not a Kubernetes quantity' },
    { name: "a size past any number", limit: "1e400", error: '"1e400" is not a Kubernetes quantity' },
    { name: "a negative size", limit: "-1Gi", error: '"-1Gi" is below 96Mi' },
    { name: "too little to idle", limit: "64Mi", error: '"64Mi" is below 96Mi' },
    { name: "thousandths of a byte", limit: "512m", error: "m means thousandths of a byte; Mi is MiB" },
  ])("refuses $name, saying why", ({ limit, error }) => {
    const result = containerMemory(limit);
    expect(result).toHaveProperty("error");
    expect((result as { error: string }).error).toContain(error);
  });
});
