// A deliberately tiny web app: the point of the example is how its code and settings reach the pod, not the app.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";

const port = Number(process.env.PORT ?? 8080);
const greeting = process.env.WEB_GREETING || "Hello";
// The key file comes from the optional Secret; without it, a random key per pod is enough for a demo.
const sessionKey = process.env.WEB_SESSION_KEY_FILE
  ? readFileSync(process.env.WEB_SESSION_KEY_FILE)
  : randomBytes(32);
let requests = 0;

const server = createServer((req, res) => {
  requests++;
  if (req.url === "/healthz") {
    res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
  } else if (req.url === "/metrics") {
    res
      .writeHead(200, { "content-type": "text/plain; version=0.0.4" })
      .end(`# TYPE web_requests_total counter\nweb_requests_total ${requests}\n`);
  } else {
    const body = { greeting, pod: process.env.HOSTNAME ?? "", signedSessions: sessionKey.length > 0 };
    res.writeHead(200, { "content-type": "application/json" }).end(`${JSON.stringify(body)}\n`);
  }
});

server.listen(port, () => console.log(JSON.stringify({ msg: "listening", port })));
// Kubernetes sends SIGTERM before removing the pod: finish in-flight requests, then exit.
process.on("SIGTERM", () => server.close(() => process.exit(0)));
