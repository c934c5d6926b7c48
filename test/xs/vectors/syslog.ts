// Vectors for linklab/syslog: RFC 5424 framing of log lines (PRI from the level, timestamp or NILVALUE, header
// fields, the 1024-byte bound, non-ASCII), the logTo parser, and the sender with a fake UDP that fails and recovers.
import { formatSyslog, formatTimestamp, levelOf, parseLogTo, severity, SyslogSender, tapSyslog } from "linklab/syslog";
import { Log } from "linklab/log";

export function vectors(): Record<string, unknown> {
  const line = "  5135 I tcp.client: state handshaking->online reason=welcome server=s1 session=1 handshakeMs=34";
  const formatted = [
    formatSyslog({ level: "I", line, hostname: "ll-a1b2c3", tag: "tcp.client", wallMs: 1796065805114 }),
    formatSyslog({ level: "E", line: "    12 E settings: bad config value key=port", hostname: "c1", tag: "settings" }),
    formatSyslog({ level: "W", line: "w", hostname: "c1", wallMs: 1000 }),
    formatSyslog({ level: "D", line: "caf\u00e9\ttab", hostname: "bad host", tag: "x".repeat(33), wallMs: 1577836800000 }),
  ];
  const long = formatSyslog({ level: "I", line: "x".repeat(3000), hostname: "c1", tag: "t", wallMs: 1796065805114 });

  const sent: { text: string; address: string; port: number }[] = [];
  let failing = true;
  let opened = 0;
  let closed = 0;
  class FakeUDP {
    constructor() {
      opened++;
    }
    write(data: ArrayBuffer | Uint8Array, address: string, port: number): void {
      if (failing) throw new Error("UDP send failed");
      const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
      let text = "";
      for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
      sent.push({ text, address, port });
    }
    close(): void {
      closed++;
    }
  }
  const sender = new SyslogSender({ address: "127.0.0.1", port: 5514, hostname: "c1" }, { UDP: FakeUDP, wallClock: () => 0 });
  const printed: string[] = [];
  const log = new Log({ clock: () => 42, sink: (l) => printed.push(l), level: "I" });
  tapSyslog(log, sender, log.tag("main"));
  log.write("I", "tcp.client", "one");
  log.write("W", "tcp.client", "two");
  failing = false;
  log.write("I", "tcp.client", "three");
  log.write("D", "tcp.client", "hidden");
  const throwing = new SyslogSender({ address: "127.0.0.1", port: 1, hostname: "c1" }, { UDP: FakeUDP, wallClock: () => { throw new Error("no clock"); } });

  return {
    severities: (["E", "W", "I", "D"] as const).map(severity),
    levels: [0, 3, 4, 5, 6, 7].map(levelOf),
    timestamps: [undefined, 0, 1577836799999, 1577836800000, 1796065805114.9, NaN, 1e20].map(formatTimestamp),
    formatted,
    long: { length: long.length, tail: long.slice(-6) },
    logTo: ["", "127.0.0.1:5514", "127.0.0.10:1", "127.0.0.4:0", "127.0.0.4:65536", "127.0.0.4", "host:514", "127.0.0.4:05", ":514", "127.0.0.4:514:1"].map(parseLogTo),
    sender: { sent: sender.sent, failed: sender.failed, opened, closed, lost: sender.takeLost() ?? null },
    printed,
    datagrams: sent,
    throwingClock: { ok: throwing.send("I", "line"), sent: throwing.sent },
  };
}
