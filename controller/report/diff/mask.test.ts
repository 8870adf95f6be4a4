import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../../kube/objects.js";
import { maskSecretPair, SECRET_MASK, SECRET_MASK_AFTER, SECRET_MASK_BEFORE } from "./mask.js";

const secret = (data?: Record<string, string>, stringData?: Record<string, string>): KubeObject => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name: "db", namespace: "shop" },
  type: "Opaque",
  ...(data ? { data } : {}),
  ...(stringData ? { stringData } : {}),
});
const b64 = (text: string) => Buffer.from(text).toString("base64");

describe("maskSecretPair", () => {
  it.each([
    {
      name: "an equal value is *** on both sides",
      live: secret({ user: b64("admin") }),
      git: secret({ user: b64("admin") }),
      want: [{ user: SECRET_MASK }, { user: SECRET_MASK }],
    },
    {
      name: "a changed value is (before) and (after)",
      live: secret({ password: b64("old-pass"), user: b64("admin") }),
      git: secret({ password: b64("new-pass"), user: b64("admin") }),
      want: [
        { password: SECRET_MASK_BEFORE, user: SECRET_MASK },
        { password: SECRET_MASK_AFTER, user: SECRET_MASK },
      ],
    },
    {
      name: "an added key is *** on the git side only",
      live: secret({ user: b64("admin") }),
      git: secret({ user: b64("admin"), token: b64("t0ken") }),
      want: [{ user: SECRET_MASK }, { user: SECRET_MASK, token: SECRET_MASK }],
    },
    {
      name: "a removed key is *** on the live side only",
      live: secret({ user: b64("admin"), token: b64("t0ken") }),
      git: secret({ user: b64("admin") }),
      want: [{ user: SECRET_MASK, token: SECRET_MASK }, { user: SECRET_MASK }],
    },
    {
      name: "an object that would be created is all ***",
      live: undefined,
      git: secret({ user: b64("admin"), password: b64("pw") }),
      want: [undefined, { user: SECRET_MASK, password: SECRET_MASK }],
    },
  ])("$name", ({ live, git, want }) => {
    const [before, after] = maskSecretPair(live, git);
    expect([before?.data, after?.data]).toEqual(want);
  });

  it("masks stringData as it masks data", () => {
    const [, after] = maskSecretPair(secret({ a: b64("x") }), secret(undefined, { a: "plain", b: "other" }));
    expect(after?.stringData).toEqual({ a: SECRET_MASK, b: SECRET_MASK });
  });

  it("masks a data field that is not a map whole", () => {
    const [before] = maskSecretPair({ ...secret(), data: "cGxhaW4=" }, undefined);
    expect(before?.data).toBe(SECRET_MASK);
  });

  it("leaves objects that are not Secrets as they are, and never changes its inputs", () => {
    const configMap: KubeObject = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c" },
      data: { a: "1" },
    };
    expect(maskSecretPair(configMap, configMap)).toEqual([configMap, configMap]);
    const live = secret({ a: b64("x") });
    const copy = structuredClone(live);
    maskSecretPair(live, secret({ a: b64("y") }));
    expect(live).toEqual(copy);
  });
});
