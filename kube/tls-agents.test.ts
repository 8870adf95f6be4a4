import { describe, expect, it } from "vitest";
import { createTlsAgents } from "./tls-agents.js";

describe("createTlsAgents", () => {
  it("keeps one agent while the client pair stays, and opens a new one with a new pair", () => {
    const agentFor = createTlsAgents({ ca: "CA", rejectUnauthorized: true, servername: "api.internal" });
    const first = agentFor("cert-1", "key-1");
    const again = agentFor("cert-1", "key-1");
    const rotated = agentFor("cert-2", "key-2");
    expect(again).toBe(first);
    expect(rotated).not.toBe(first);
    expect(first.options).toMatchObject({ keepAlive: true, ca: "CA", cert: "cert-1", key: "key-1" });
    expect(rotated.options).toMatchObject({
      keepAlive: true,
      rejectUnauthorized: true,
      ca: "CA",
      cert: "cert-2",
      key: "key-2",
      servername: "api.internal",
    });
  });

  it("gives an agent without a client pair when there is none (a token user)", () => {
    const agent = createTlsAgents({ rejectUnauthorized: false })(undefined, undefined);
    expect(agent.options).toMatchObject({ keepAlive: true, rejectUnauthorized: false });
    expect(agent.options).not.toHaveProperty("cert");
    expect(agent.options).not.toHaveProperty("key");
  });
});
