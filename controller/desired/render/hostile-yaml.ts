/**
 * Hostile YAML for tests and the parse-bomb benchmark: small files that expand to far more than they weigh.
 * Nothing in the controller imports this file.
 */

/**
 * aliasBomb is a ConfigMap of about 400 bytes whose `data` holds nine levels of nine aliases: 9^9 (387 million)
 * strings once expanded. Without a node budget it takes tens of seconds and gigabytes to serialise.
 */
export function aliasBomb(name = "lol"): string {
  const levels = "abcdefghi";
  const lines = ["apiVersion: v1", "kind: ConfigMap", `metadata: {name: ${name}}`, "x:"];
  lines.push(`  a: &a [${Array(9).fill('"lol"').join(",")}]`);
  for (let k = 1; k < levels.length; k++) {
    lines.push(
      `  ${levels[k]}: &${levels[k]} [${Array(9)
        .fill(`*${levels[k - 1]}`)
        .join(",")}]`,
    );
  }
  lines.push("data: {bomb: *i}");
  return `${lines.join("\n")}\n`;
}

/** harmlessOfSize is a ConfigMap of at least `bytes` bytes of plain data, no aliases: the bomb's baseline. */
export function harmlessOfSize(bytes: number, name = "plain"): string {
  const lines = ["apiVersion: v1", "kind: ConfigMap", `metadata: {name: ${name}}`, "data:"];
  let size = lines.join("\n").length;
  for (let i = 0; size < bytes; i++) {
    const line = `  k${i}: "${"v".repeat(20)}"`;
    lines.push(line);
    size += line.length + 1;
  }
  return `${lines.join("\n")}\n`;
}
