import http from "node:http";
import https from "node:https";

/**
 * sendRaw sends one request over http or https (the URL's protocol says which) and reads the whole answer as text.
 * A request that fails rejects with what `failure` makes of its error; a response that breaks off, with its error.
 */
export function sendRaw(
  url: URL,
  opts: https.RequestOptions,
  payload: string | undefined,
  failure: (error: Error) => unknown,
): Promise<{ status: number; text: string }> {
  const transport = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(url, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
      );
    });
    req.on("error", (error) => reject(failure(error)));
    req.end(payload);
  });
}
