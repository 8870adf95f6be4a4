import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** GitHttpServer serves the bare (or `.git`) repositories under a root over git's smart HTTP protocol. */
export interface GitHttpServer {
  /** url is `http://127.0.0.1:PORT`; a repository at ROOT/owner/name.git is URL/owner/name.git. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * startGitHttp serves `root` on 127.0.0.1 through `git http-backend` as CGI, one child per request, the way Flux's
 * source-controller clones from any git host. Adapted from ../shared/peer/git-http.mjs (tested with Flux v1.9.6).
 */
export async function startGitHttp(root: string): Promise<GitHttpServer> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "",
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: "1",
      REQUEST_METHOD: req.method ?? "GET",
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers["content-type"] ?? "",
      REMOTE_ADDR: req.socket.remoteAddress ?? "",
      REMOTE_USER: "anonymous",
      SERVER_PROTOCOL: "HTTP/1.1",
      GATEWAY_INTERFACE: "CGI/1.1",
    };
    if (req.headers["content-length"]) env.CONTENT_LENGTH = req.headers["content-length"];
    if (req.headers["content-encoding"]) env.HTTP_CONTENT_ENCODING = String(req.headers["content-encoding"]);
    if (req.headers["git-protocol"]) env.GIT_PROTOCOL = String(req.headers["git-protocol"]);
    const cgi = spawn("git", ["http-backend"], { env, stdio: ["pipe", "pipe", "ignore"], timeout: 60_000 });
    req.pipe(cgi.stdin);
    cgi.stdin.on("error", () => undefined);
    cgi.on("error", () => res.destroy());
    let head = Buffer.alloc(0);
    let sent = false;
    cgi.stdout.on("data", (chunk: Buffer) => {
      if (sent) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      let at = head.indexOf("\r\n\r\n");
      let separator = 4;
      if (at < 0) {
        at = head.indexOf("\n\n");
        separator = 2;
      }
      if (at < 0) return;
      let status = 200;
      for (const line of head.subarray(0, at).toString().split(/\r?\n/)) {
        const colon = line.indexOf(":");
        if (colon < 0) continue;
        const key = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (key.toLowerCase() === "status") status = Number.parseInt(value, 10);
        else res.setHeader(key, value);
      }
      res.writeHead(status);
      sent = true;
      const rest = head.subarray(at + separator);
      if (rest.length > 0) res.write(rest);
    });
    cgi.stdout.on("end", () => {
      if (!sent) res.writeHead(502);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
