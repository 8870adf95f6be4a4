import https from "node:https";
import tls from "node:tls";

/** CreateSecureContext builds the TLS context of one set of PEM texts: `tls.createSecureContext` in production. */
export type CreateSecureContext = (options: tls.SecureContextOptions) => tls.SecureContext;

/**
 * createTlsAgents hands out kept-alive https agents for one apiserver, one per client certificate: an exec plugin
 * may hand out a new pair, and a pooled TLS socket keeps the identity it was opened with. Only the latest pair's
 * agent is kept. Each agent is given one secure context built from the CA and the pair: given the PEM texts
 * instead, Node parses them into a new context for every connection, and joins them into the pool's key for every
 * request (issue 32).
 */
export function createTlsAgents(
  settings: {
    readonly ca?: string;
    readonly rejectUnauthorized: boolean;
    readonly servername?: string;
  },
  createSecureContext: CreateSecureContext = tls.createSecureContext,
): (cert: string | undefined, key: string | undefined) => https.Agent {
  let secure: { id: string; agent: https.Agent } | undefined;
  return (cert, key) => {
    const id = `${cert ?? ""}\0${key ?? ""}`;
    if (secure?.id !== id) {
      const { ca, rejectUnauthorized, servername } = settings;
      const secureContext = createSecureContext({
        ...(ca ? { ca } : {}),
        ...(cert ? { cert } : {}),
        ...(key ? { key } : {}),
      });
      secure = {
        id,
        agent: new https.Agent({
          keepAlive: true,
          rejectUnauthorized,
          secureContext,
          ...(servername ? { servername } : {}),
        }),
      };
    }
    return secure.agent;
  };
}
