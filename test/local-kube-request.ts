import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createKubeRequest, type KubeRequest } from "../kube/http.js";

/** localKubeRequest is an apiserver client, with a token, for a stand-in apiserver listening on 127.0.0.1. */
export function localKubeRequest(server: Server): KubeRequest {
  return createKubeRequest({
    server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tls: { rejectUnauthorized: false },
    credentials: async () => ({ token: "t" }),
    forget: () => undefined,
  });
}
