import { randomUUID } from "node:crypto";
import { connect, type Socket } from "node:net";
import { signBody } from "../../controller/report/server/webhook-signature.js";

/** WEBHOOK_PATH is where the server takes GitHub deliveries. */
export const WEBHOOK_PATH = "/v1/gitops/webhook/github";

/** DeliverOptions shape one delivery; by default a push signed with the test server's `hello-secret`. */
export interface DeliverOptions {
  readonly event?: string;
  /** the secret to sign with; null sends no signature */
  readonly secret?: string | null;
  /** the `X-GitHub-Delivery` id; null sends none, by default a new one */
  readonly delivery?: string | null;
  /** a signature header to send instead of the computed one */
  readonly signature?: string;
}

/** deliver posts one delivery as GitHub would and answers its status and body text. */
export async function deliver(
  url: string,
  payload: unknown,
  options: DeliverOptions = {},
): Promise<{ status: number; text: string }> {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-github-event": options.event ?? "push",
  };
  const delivery = options.delivery === undefined ? randomUUID() : options.delivery;
  if (delivery !== null) headers["x-github-delivery"] = delivery;
  const secret = options.secret === undefined ? "hello-secret" : options.secret;
  if (options.signature !== undefined) headers["x-hub-signature-256"] = options.signature;
  else if (secret !== null) headers["x-hub-signature-256"] = signBody(secret, body);
  const res = await fetch(`${url}${WEBHOOK_PATH}`, { method: "POST", headers, body });
  return { status: res.status, text: await res.text() };
}

/** RawExchange is a socket left open mid-request, and everything the server sent once it closed the connection. */
export interface RawExchange {
  readonly socket: Socket;
  readonly closed: Promise<string>;
}

/**
 * rawRequest opens a socket (from `localAddress`, any of 127.0.0.0/8 on loopback), sends `head` and the first
 * part of a body, and keeps the socket open.
 */
export function rawRequest(
  url: string,
  head: string,
  firstPart: string,
  localAddress?: string,
): Promise<RawExchange> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(
      { port: Number(port), host: hostname, ...(localAddress ? { localAddress } : {}) },
      () => {
        socket.write(head + firstPart);
        resolve({ socket, closed });
      },
    );
    let received = "";
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
    });
    socket.on("error", () => {});
    const closed = new Promise<string>((done) => socket.on("close", () => done(received)));
    socket.once("error", reject);
  });
}

/** webhookHead is the head of a push delivery of `length` bytes (chunked when null) with `signature`. */
export function webhookHead(url: string, length: number | null, signature: string, extra = ""): string {
  return [
    `POST ${WEBHOOK_PATH} HTTP/1.1`,
    `Host: ${new URL(url).host}`,
    "Content-Type: application/json",
    "X-GitHub-Event: push",
    `X-GitHub-Delivery: ${randomUUID()}`,
    `X-Hub-Signature-256: ${signature}`,
    length === null ? "Transfer-Encoding: chunked" : `Content-Length: ${length}`,
    extra,
    "",
    "",
  ]
    .filter((line, i, all) => line !== "" || i >= all.length - 2)
    .join("\r\n");
}
