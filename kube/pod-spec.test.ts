import { describe, expect, it } from "vitest";
import { effectiveServiceAccount, secretReferencePath } from "./pod-spec.js";

describe("effectiveServiceAccount", () => {
  it.each([
    { name: "serviceAccountName", pod: { serviceAccountName: "app" }, want: "app" },
    { name: "the deprecated field alone", pod: { serviceAccount: "app" }, want: "app" },
    {
      name: "the deprecated field under an empty name",
      pod: { serviceAccountName: "", serviceAccount: "app" },
      want: "app",
    },
    {
      name: "the deprecated field under a null name",
      pod: { serviceAccountName: null, serviceAccount: "app" },
      want: "app",
    },
    {
      name: "the name over the deprecated field",
      pod: { serviceAccountName: "a", serviceAccount: "b" },
      want: "a",
    },
    { name: "neither", pod: {}, want: "default" },
    { name: "both empty", pod: { serviceAccountName: "", serviceAccount: "" }, want: "default" },
    {
      name: "a name that is not a string",
      pod: { serviceAccountName: 7, serviceAccount: "app" },
      want: "app",
    },
  ])("takes $name", ({ pod, want }) => {
    expect(effectiveServiceAccount(pod)).toBe(want);
  });
});

describe("secretReferencePath", () => {
  const S = "creds";
  it.each([
    {
      name: "a secret volume",
      pod: { volumes: [{ name: "v", secret: { secretName: S } }] },
      want: "volumes[0].secret.secretName",
    },
    {
      name: "a projected source",
      pod: {
        volumes: [
          { name: "v", projected: { sources: [{ configMap: { name: "x" } }, { secret: { name: S } }] } },
        ],
      },
      want: "volumes[0].projected.sources[1].secret.name",
    },
    {
      name: "a CSI driver's publish secret",
      pod: { volumes: [{ name: "v", csi: { driver: "d", nodePublishSecretRef: { name: S } } }] },
      want: "volumes[0].csi.nodePublishSecretRef.name",
    },
    {
      name: "a flexVolume secretRef",
      pod: { volumes: [{ name: "v", flexVolume: { driver: "d", secretRef: { name: S } } }] },
      want: "volumes[0].flexVolume.secretRef.name",
    },
    {
      name: "an azureFile secretName",
      pod: { volumes: [{ azureFile: { secretName: S, shareName: "s" } }] },
      want: "volumes[0].azureFile.secretName",
    },
    { name: "imagePullSecrets", pod: { imagePullSecrets: [{ name: S }] }, want: "imagePullSecrets[0].name" },
    {
      name: "an init container's envFrom",
      pod: {
        initContainers: [
          { name: "i", envFrom: [{ configMapRef: { name: "c" } }, { secretRef: { name: S } }] },
        ],
      },
      want: "initContainers[0].envFrom[1].secretRef.name",
    },
    {
      name: "an ephemeral container's env",
      pod: {
        ephemeralContainers: [
          { name: "e", env: [{ name: "T", valueFrom: { secretKeyRef: { name: S, key: "k" } } }] },
        ],
      },
      want: "ephemeralContainers[0].env[0].valueFrom.secretKeyRef.name",
    },
  ])("finds $name", ({ pod, want }) => {
    expect(secretReferencePath(pod, S)).toBe(want);
  });

  it.each([
    { name: "another Secret", pod: { volumes: [{ secret: { secretName: "other" } }] } },
    {
      name: "a ConfigMap of that name",
      pod: {
        volumes: [{ configMap: { name: S } }],
        containers: [{ envFrom: [{ configMapRef: { name: S } }] }],
      },
    },
    { name: "a plain env value", pod: { containers: [{ name: S, env: [{ name: "X", value: S }] }] } },
    {
      name: "a key of the Secret named like it",
      pod: { volumes: [{ secret: { secretName: "o", items: [{ key: S, path: S }] } }] },
    },
  ])("ignores $name", ({ pod }) => {
    expect(secretReferencePath(pod, S)).toBeUndefined();
  });
});
