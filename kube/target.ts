/** KubeTls is what the TLS connection to an apiserver needs: PEM texts and whether to verify the server. */
export interface KubeTls {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly rejectUnauthorized: boolean;
  readonly servername?: string;
}

/** KubeCredentials are what may change while the process runs: a bearer token, or an exec plugin's client pair. */
export interface KubeCredentials {
  readonly token?: string;
  readonly cert?: string;
  readonly key?: string;
}

/** KubeTarget is one apiserver and how to reach it, read from a kubeconfig or from a pod's service account. */
export interface KubeTarget {
  readonly server: string;
  readonly tls: KubeTls;
  /** credentials are read per request: a token file rotates, an exec plugin's token expires. */
  credentials(signal?: AbortSignal): Promise<KubeCredentials>;
  /** forget drops cached credentials, after the apiserver answered 401 to them. */
  forget(): void;
}
