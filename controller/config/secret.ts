import { inspect } from "node:util";

const REDACTED = "[redacted]";

/**
 * Secret wraps a credential so that it cannot leak by accident: printing, logging, JSON-serialising or
 * inspecting it all yield "[redacted]"; only `reveal()` returns the value, and only where it is sent.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** reveal returns the secret value; call it only at the point where the value is sent over the wire. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

/** SecretRef says where a secret comes from; `value` is filled in by `resolveSecrets`. */
export interface SecretRef {
  readonly from: "inline" | "env" | "file";
  /** The environment variable name (`env`) or file path (`file`); empty for `inline`. */
  readonly name: string;
  readonly value?: Secret;
}
