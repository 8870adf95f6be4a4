import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** CertifiedPair is a certificate and its key, as PEM text and as the files openssl wrote them to. */
export interface CertifiedPair {
  readonly cert: string;
  readonly key: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** TestCa is a certificate authority made for one test file: its own pair, and `sign` to make more. */
export interface TestCa extends CertifiedPair {
  /**
   * sign makes a key and a certificate for `commonName`, signed by this CA and valid for a day, written to
   * `<name>.key` and `<name>.crt`. `ip`, for a server's certificate, is its subjectAltName: Node checks the address
   * it connects to against it, not against the common name.
   */
  sign(name: string, commonName: string, ip?: string): CertifiedPair;
}

/**
 * createTestCa makes a CA valid for a day with openssl in `dir` (`ca.crt`, `ca.key`), so tests talk real TLS with
 * certificates Node verifies, as a cluster's own PKI issues them.
 */
export function createTestCa(dir: string): TestCa {
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const newKey = (name: string, commonName: string) => [
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-subj",
    `/CN=${commonName}`,
  ];
  const pair = (name: string): CertifiedPair => {
    const certFile = join(dir, `${name}.crt`);
    const keyFile = join(dir, `${name}.key`);
    return { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8"), certFile, keyFile };
  };
  openssl("req", "-x509", ...newKey("ca", "test-ca"), "-out", "ca.crt", "-days", "1");
  return {
    ...pair("ca"),
    sign(name, commonName, ip) {
      openssl("req", "-new", ...newKey(name, commonName), "-out", `${name}.csr`);
      if (ip) writeFileSync(join(dir, `${name}.ext`), `subjectAltName=IP:${ip}\n`);
      const extensions = ip ? ["-extfile", `${name}.ext`] : [];
      openssl(
        "x509",
        "-req",
        "-in",
        `${name}.csr`,
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "1",
        "-out",
        `${name}.crt`,
        ...extensions,
      );
      return pair(name);
    },
  };
}
