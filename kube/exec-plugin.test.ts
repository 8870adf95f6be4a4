import { describe, expect, it } from "vitest";
import { execInfo } from "./exec-plugin.js";

const exec = {
  apiVersion: "client.authentication.k8s.io/v1",
  command: "plugin",
  args: [],
  env: [],
  provideClusterInfo: false,
};
const ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

describe("execInfo", () => {
  it.each([
    {
      name: "no cluster when the kubeconfig does not ask for it",
      provideClusterInfo: false,
      tls: { ca, rejectUnauthorized: true, servername: "api.internal" },
      cluster: undefined,
    },
    {
      name: "the server, its CA as base64 and the TLS server name when asked",
      provideClusterInfo: true,
      tls: { ca, rejectUnauthorized: true, servername: "api.internal" },
      cluster: {
        server: "https://10.0.0.1:6443",
        "certificate-authority-data": Buffer.from(ca).toString("base64"),
        "insecure-skip-tls-verify": false,
        "tls-server-name": "api.internal",
      },
    },
    {
      name: "insecure-skip-tls-verify, and no CA or server name the kubeconfig does not have",
      provideClusterInfo: true,
      tls: { rejectUnauthorized: false },
      cluster: { server: "https://10.0.0.1:6443", "insecure-skip-tls-verify": true },
    },
  ])("tells the plugin $name, never interactive", ({ provideClusterInfo, tls, cluster }) => {
    const info = execInfo({ ...exec, provideClusterInfo }, { server: "https://10.0.0.1:6443", tls });
    expect(info).toEqual({
      apiVersion: "client.authentication.k8s.io/v1",
      kind: "ExecCredential",
      spec: { interactive: false, ...(cluster ? { cluster } : {}) },
    });
  });
});
