import https from "node:https";

/**
 * createTlsAgents hands out kept-alive https agents for one apiserver, one per client certificate: an exec plugin
 * may hand out a new pair, and a pooled TLS socket keeps the identity it was opened with. Only the latest pair's
 * agent is kept.
 */
export function createTlsAgents(tls: {
  readonly ca?: string;
  readonly rejectUnauthorized: boolean;
  readonly servername?: string;
}): (cert: string | undefined, key: string | undefined) => https.Agent {
  let secure: { id: string; agent: https.Agent } | undefined;
  return (cert, key) => {
    const id = `${cert ?? ""}\0${key ?? ""}`;
    if (secure?.id !== id) {
      const { ca, rejectUnauthorized, servername } = tls;
      secure = {
        id,
        agent: new https.Agent({
          keepAlive: true,
          rejectUnauthorized,
          ...(ca ? { ca } : {}),
          ...(cert ? { cert } : {}),
          ...(key ? { key } : {}),
          ...(servername ? { servername } : {}),
        }),
      };
    }
    return secure.agent;
  };
}
