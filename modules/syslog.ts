// The serial log as UDP syslog (config key logTo=<IPv4>:<port>, off when empty): every printed line also goes out as
// one datagram in the syslog form of RFC 5424 (section 6), over UDP as RFC 5426 says, so one laptop
// (`npx linklab monitor --udp <port>`) or any syslog collector (rsyslog, Vector, Loki) can show a whole class's
// boards. The formatting is pure; SyslogSender takes Moddable's UDP class and a wall clock as parameters, like the
// roles (linklab/ports), and never throws or waits: a failed send is counted, and the board goes on.
//
//   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG
//   <134>1 2026-11-30T10:15:02.123Z ll-a1b2c3 linklab - tcp.client - 5135 I tcp.client: state handshaking->online ...
//
// PRI = facility local0 (16) x 8 + the severity of the line's level (RFC 5424 table 2: E error 3, W warning 4,
// I informational 6, D debug 7). TIMESTAMP is the board's wall clock in UTC, or the NILVALUE "-" when the board has
// no time (an ESP32 whose clock SNTP never set starts at 1970). HOSTNAME is the board id, APP-NAME "linklab",
// PROCID "-", MSGID the line's tag, no STRUCTURED-DATA, MSG the serial line exactly as printed (ASCII, no BOM).

import { isIPv4, parseUint } from "linklab/protocol";
import { encodeAscii } from "linklab/framing";
import { EV } from "linklab/events";
import type { Level, Log, TagLog } from "linklab/log";
import type { UdpSocket } from "linklab/ports";

/** The longest datagram sent, header included: below one Wi-Fi/Ethernet MTU (no IP fragments, which Wi-Fi loses twice as often), and within the 2048 octets RFC 5426 section 3.2 says receivers should take. */
export const SYSLOG_MAX_BYTES = 1024;
/** Facility local0 (RFC 5424 table 1), so a collector can route linklab's lines by facility. */
export const SYSLOG_FACILITY = 16;
export const SYSLOG_APP = "linklab";
/** A wall clock before 2020-01-01 is a board whose clock was never set: its time goes out as NILVALUE. */
export const SYSLOG_EPOCH_MS = 1577836800000;
/** What a line too long for one datagram ends with, in place of its tail. */
export const SYSLOG_CUT = "...";

/** RFC 5424 severity of a log level. */
export function severity(level: Level): number {
  return level === "E" ? 3 : level === "W" ? 4 : level === "I" ? 6 : 7;
}

/** The log level a severity stands for (the monitor reads PRI back): 0-3 E, 4 W, 5-6 I, 7 D. */
export function levelOf(severityValue: number): Level {
  return severityValue <= 3 ? "E" : severityValue === 4 ? "W" : severityValue <= 6 ? "I" : "D";
}

const pad = (n: number, width: number): string => {
  let text = String(n);
  while (text.length < width) text = "0" + text;
  return text;
};

/** RFC 5424 TIMESTAMP in UTC with milliseconds (`2026-11-30T10:15:02.123Z`), or "-" for no time. */
export function formatTimestamp(wallMs: number | undefined): string {
  if (wallMs === undefined || !(wallMs >= SYSLOG_EPOCH_MS) || wallMs > 253402300799999) return "-";
  const d = new Date(Math.floor(wallMs));
  return (
    pad(d.getUTCFullYear(), 4) + "-" + pad(d.getUTCMonth() + 1, 2) + "-" + pad(d.getUTCDate(), 2) + "T" +
    pad(d.getUTCHours(), 2) + ":" + pad(d.getUTCMinutes(), 2) + ":" + pad(d.getUTCSeconds(), 2) + "." + pad(d.getUTCMilliseconds(), 3) + "Z"
  );
}

/** A header field: 1..max printable ASCII without spaces (RFC 5424 PRINTUSASCII), else the NILVALUE "-". */
function headerField(text: string | undefined, max: number): string {
  if (!text || text.length > max) return "-";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return "-";
  }
  return text;
}

export type SyslogEntry = { level: Level; line: string; hostname: string; tag?: string; wallMs?: number };

/**
 * One log line as one RFC 5424 message, at most SYSLOG_MAX_BYTES long once encoded (one byte per character: MSG is
 * printable ASCII, anything else becomes "?"); a longer line keeps its head and ends with "...".
 */
export function formatSyslog(entry: SyslogEntry): string {
  const pri = SYSLOG_FACILITY * 8 + severity(entry.level);
  const header = "<" + pri + ">1 " + formatTimestamp(entry.wallMs) + " " + headerField(entry.hostname, 255) + " " + SYSLOG_APP + " - " + headerField(entry.tag, 32) + " - ";
  let msg = "";
  for (let i = 0; i < entry.line.length; i++) {
    const c = entry.line.charCodeAt(i);
    msg += c >= 0x20 && c <= 0x7e ? entry.line[i] : "?";
  }
  const room = SYSLOG_MAX_BYTES - header.length;
  if (msg.length > room) msg = msg.slice(0, Math.max(0, room - SYSLOG_CUT.length)) + SYSLOG_CUT;
  return header + msg;
}

/** `logTo`: "" (off) or `<IPv4>:<port>`; undefined when it is neither. */
export function parseLogTo(text: string): { address: string; port: number } | undefined {
  const colon = text.lastIndexOf(":");
  if (colon < 0) return undefined;
  const address = text.slice(0, colon);
  const port = parseUint(text.slice(colon + 1));
  if (!isIPv4(address) || port === undefined || port < 1 || port > 65535) return undefined;
  return { address, port };
}

export type SyslogTarget = { address: string; port: number; hostname: string };
export type SyslogDeps = { UDP: new (options: object) => Pick<UdpSocket, "write" | "close">; wallClock: () => number };

/**
 * Sends each line it is given to the target, one datagram each. The socket is opened at the first line and again
 * after a failure; a send that throws (no route while Wi-Fi is down, lwIP out of buffers) is counted in `failed`
 * and the line is lost: logging never waits and never throws. `takeLost()` tells the caller, once sending works
 * again, how many were lost since it last asked, so the gap can be logged.
 */
export class SyslogSender {
  readonly target: SyslogTarget;
  sent = 0;
  failed = 0;
  #reported = 0;
  #lastError = "";
  #deps: SyslogDeps;
  #udp: Pick<UdpSocket, "write" | "close"> | undefined;

  constructor(target: SyslogTarget, deps: SyslogDeps) {
    this.target = target;
    this.#deps = deps;
  }

  send(level: Level, line: string, tag?: string): boolean {
    try {
      let wallMs: number | undefined;
      try {
        wallMs = this.#deps.wallClock();
      } catch {
        wallMs = undefined;
      }
      const text = formatSyslog({ level, line, hostname: this.target.hostname, tag, wallMs });
      this.#udp ??= new this.#deps.UDP({});
      this.#udp.write(encodeAscii(text), this.target.address, this.target.port);
      this.sent++;
      return true;
    } catch (error) {
      this.failed++;
      this.#lastError = String(error);
      const udp = this.#udp;
      this.#udp = undefined;
      try {
        udp?.close();
      } catch {
        // already closed
      }
      return false;
    }
  }

  /** Lines lost since the last call, and the last error, once a send has worked again; undefined when none were. */
  takeLost(): { lost: number; error: string } | undefined {
    const lost = this.failed - this.#reported;
    if (lost <= 0) return undefined;
    this.#reported = this.failed;
    return { lost, error: this.#lastError };
  }

  close(): void {
    const udp = this.#udp;
    this.#udp = undefined;
    try {
      udp?.close();
    } catch {
      // already closed
    }
  }
}

/**
 * Every line `log` prints from now on also goes to `sender` (main.ts, when logTo is set). `report` (the main tag)
 * says so once, and, when sending works again after lines were lost, how many: that line goes out too, so the gap
 * shows in the collector as well as in the serial log.
 */
export function tapSyslog(log: Log, sender: SyslogSender, report: TagLog): void {
  const to = sender.target.address + ":" + sender.target.port;
  log.addTap((line, level, tag) => {
    const lost = sender.send(level, line, tag) ? sender.takeLost() : undefined;
    if (lost) report.w(EV.main.logToLost, { to, lost: lost.lost, error: lost.error });
  });
  report.i(EV.main.logTo, { to, hostname: sender.target.hostname });
}
