import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { createKubeRequest, type KubeRequest } from "../kube/http.js";

/** localKubeRequest is an apiserver client, with a token, for a stand-in apiserver listening on 127.0.0.1. */
export function localKubeRequest(server: Server): KubeRequest {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: "c",
        server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        skipTLSVerify: true,
      },
    ],
    users: [{ name: "u", token: "t" }],
    contexts: [{ name: "c", cluster: "c", user: "u" }],
    currentContext: "c",
  });
  return createKubeRequest(kubeConfig);
}
