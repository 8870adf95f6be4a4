import type { IncomingMessage } from "node:http";

/** readJson reads a request's whole body as JSON; it throws what JSON.parse throws on a body that is not JSON. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}
