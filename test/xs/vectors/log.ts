// Vectors for linklab/log: line format, value quoting, level filtering, a sink that throws, sampling and rate
// limiting, with a fake clock; the lines must be byte-identical on Node and XS.
import type { LogEvent } from "linklab/events";
import { Log, RateLimiter, Sampler, formatLine, formatValue, isLevel, levelRank } from "linklab/log";

/** A catalogue-shaped entry for these vectors (the real catalogue is linklab/events). */
function line<const K extends string>(message: string, keys: readonly K[] = []): LogEvent<K> {
  return { tag: "tcp.client", message, keys };
}

export function vectors(): Record<string, unknown> {
  let now = 0;
  const lines: string[] = [];
  const log = new Log({ clock: () => now, sink: (line) => lines.push(line), level: "I" });
  const client = log.tag("tcp.client");
  client.state("I", line("state", ["reason", "rttMs"]), "connecting", "online", { reason: "welcome", rttMs: 12 });
  now = 1234.9;
  client.d(line("hidden at I"));
  client.w(line("peer silent, closing", ["peer", "silentMs", "skipped"]), { peer: "127.168.4.7:51234", silentMs: 3004, skipped: undefined });
  log.level = "D";
  now = 99999999;
  client.d(line("now shown", ["ok", "text", "quote", "slash", "ctl", "high", "empty"]), { ok: true, text: "two words", quote: 'say "hi"', slash: "a\\b", ctl: "a\tb\u0001", high: "caf\u00e9 \u2603", empty: "" });
  client.at("E", line("at level E"));
  log.level = "E";
  client.i(line("dropped"));
  client.e(line("kept"));

  const broken = new Log({ clock: () => 5, sink: () => { throw new Error("sink down"); } });
  broken.write("E", "main", "into a broken sink");

  const sampler = new Sampler(3);
  const sampled: boolean[] = [];
  for (let i = 0; i < 8; i++) sampled.push(sampler.take());
  const count = sampler.count;
  sampler.reset();
  const none = new Sampler(0);
  const every = new Sampler(1);

  const limiter = new RateLimiter(1000);
  const limited = [0, 10, 999, 1000, 1001, 2500, 2600, 5000].map((t) => limiter.take(t));

  return {
    lines,
    enabled: [client.enabled("E"), client.enabled("W"), client.enabled("I"), log.enabled("D")],
    formatted: [formatLine(0, "I", "main", "boot"), formatLine(7.9, "D", "x", "m", {}), formatLine(1234567, "W", "t", "m", { a: 1, b: "x y" })],
    values: ["plain", "", "sp ace", "tab\t", "\u0000", "\u00ff", "\ud83d\ude00", 0, -1.5, true, false].map((v) => formatValue(v)),
    ranks: (["E", "W", "I", "D"] as const).map(levelRank),
    levels: ["E", "W", "I", "D", "X", "", "i", 1, undefined].map(isLevel),
    sampled,
    count,
    afterReset: [sampler.count, sampler.take()],
    none: [none.take(), none.take()],
    every: [every.take(), every.take()],
    limited,
  };
}
