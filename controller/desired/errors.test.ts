import { describe, expect, it } from "vitest";
import { DesiredSetError, isKustomizeError } from "./errors.js";

describe("isKustomizeError", () => {
  it.each([
    {
      name: "a refused kustomization",
      error: new DesiredSetError("E_KUSTOMIZE_INVALID", "k.yaml", "x"),
      is: true,
    },
    { name: "a remote base", error: new DesiredSetError("E_KUSTOMIZE_REMOTE", "k.yaml", "x"), is: true },
    { name: "a failed build", error: new DesiredSetError("E_KUSTOMIZE_BUILD", "k.yaml", "x"), is: true },
    {
      name: "a manifest that does not parse",
      error: new DesiredSetError("E_MANIFEST_PARSE", "a.yaml", "x"),
      is: false,
    },
    {
      name: "an object the render refuses",
      error: new DesiredSetError("E_OWN_OBJECT", "a.yaml", "x"),
      is: false,
    },
    { name: "any other error", error: new Error("E_KUSTOMIZE_INVALID"), is: false },
  ])("tells $name", ({ error, is }) => {
    expect(isKustomizeError(error)).toBe(is);
  });

  it("names the subject in the message and keeps the reason apart", () => {
    const error = new DesiredSetError("E_MANIFEST_INVALID", "svc/a.yaml", "document 1: no kind");
    expect([error.message, error.reason, error.subject]).toEqual([
      "svc/a.yaml: document 1: no kind",
      "document 1: no kind",
      "svc/a.yaml",
    ]);
  });
});
