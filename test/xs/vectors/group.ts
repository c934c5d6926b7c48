// Vectors for the class group in the beacon (linklab/protocol) and the group/logTo config keys (linklab/settings),
// on Node and XS.
import { formatBeacon, parseBeacon } from "linklab/protocol";
import { readSettings } from "linklab/settings";

function bytesOf(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

const base = "LINKLAB1 id=s1 role=server ip=127.0.0.2 port=8420 seq=3 uptimeMs=99";

export function vectors(): Record<string, unknown> {
  const beacon = { id: "s1", role: "server" as const, ip: "127.0.0.2", port: 8420, seq: 3, uptimeMs: 99 };
  return {
    formatted: [formatBeacon(beacon), formatBeacon({ ...beacon, group: "" }), formatBeacon({ ...beacon, group: "pair-07" })],
    parsed: [base, base + " group=pair-07", base + " group=", base + " group=a!b", base + " team=x", base + " group=" + "g".repeat(32), base + " group=" + "g".repeat(33)].map((t) => parseBeacon(bytesOf(t))),
    settings: [{ group: "pair-07", logTo: "127.0.0.10:5514" }, { group: "pair 7", logTo: "laptop:514" }, { group: 7, logTo: "127.0.0.4:70000" }].map((c) => {
      const r = readSettings(c);
      return { group: r.settings.group, logTo: r.settings.logTo, problems: r.problems };
    }),
  };
}
