/**
 * layoutFor says how many shards a state is saved in, or `undefined` for one ConfigMap holding it all (the layout of
 * every state before the split). A split state stays split with its stored count: merging back would rewrite it
 * whole each time it crossed the line, and a count that changed would move services between shards. A state splits
 * into `shards` once its services alone take more than half of what one ConfigMap holds; the other half is the
 * audit trail's.
 */
export function layoutFor(input: {
  readonly stored: number | undefined;
  readonly servicesBytes: number;
  readonly maxBytes: number;
  readonly shards: number;
}): number | undefined {
  if (input.stored !== undefined) return input.stored;
  return input.servicesBytes > input.maxBytes / 2 ? input.shards : undefined;
}
