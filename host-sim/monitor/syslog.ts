// Reading one syslog datagram (RFC 5424, section 6, over UDP as RFC 5426 carries it): what a board with logTo sends
// (modules/syslog.ts), and what any other RFC 5424 sender (rsyslog's forwarders, Vector, a logger) sends. A datagram
// that is not RFC 5424 gets a reason, never an exception: the monitor counts and shows it and goes on.
import { levelOf } from "../../modules/syslog.ts";

export interface SyslogMessage {
  facility: number;
  severity: number;
  /** The log level the severity stands for (E, W, I, D). */
  level: string;
  /** RFC 5424 TIMESTAMP as sent, or undefined for the NILVALUE. */
  timestamp?: string;
  /** HOSTNAME (a linklab board's id), or undefined for the NILVALUE. */
  hostname?: string;
  app?: string;
  procid?: string;
  msgid?: string;
  /** STRUCTURED-DATA as sent ("-" for none). */
  structured: string;
  /** MSG: UTF-8 (a BOM is dropped), trailing line ends removed; "" when absent. */
  msg: string;
}

export type SyslogResult = { ok: true; message: SyslogMessage } | { ok: false; reason: string };

/** Datagrams longer than this are refused whole (RFC 5426 section 3.1: UDP's own limit is 65,507 bytes on IPv4). */
export const MAX_DATAGRAM = 65507;

const utf8 = new TextDecoder("utf-8", { fatal: false });
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;

/** A header field: NILVALUE, or 1..max printable US-ASCII characters (33..126). */
function field(text: string | undefined, max: number, name: string): { value?: string } | string {
  if (text === undefined || text.length === 0) return `no ${name}`;
  if (text === "-") return {};
  if (text.length > max) return `${name} longer than ${max}`;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 33 || c > 126) return `${name} is not printable ASCII`;
  }
  return { value: text };
}

/** The length of STRUCTURED-DATA at the start of `text` ("-" or SD-ELEMENTs with escaped values), or a reason. */
function structuredLength(text: string): number | string {
  if (text.startsWith("-")) return 1;
  let i = 0;
  if (text[0] !== "[") return "bad structured data";
  while (text[i] === "[") {
    let inValue = false;
    i++;
    for (; i < text.length; i++) {
      const c = text[i];
      if (inValue) {
        if (c === "\\") i++;
        else if (c === '"') inValue = false;
      } else if (c === '"') inValue = true;
      else if (c === "]") break;
    }
    if (i >= text.length) return "unterminated structured data";
    i++;
  }
  return i;
}

/** One datagram into a message, or the reason it is not RFC 5424. */
export function parseSyslog(data: Uint8Array): SyslogResult {
  const fail = (reason: string): SyslogResult => ({ ok: false, reason });
  if (data.length === 0) return fail("empty datagram");
  if (data.length > MAX_DATAGRAM) return fail(`longer than ${MAX_DATAGRAM} bytes`);
  // The header is ASCII; latin1 keeps one character per byte, so offsets into it are byte offsets.
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("latin1");
  const pri = /^<(\d{1,3})>/.exec(text);
  if (!pri) return fail("no <PRI> at the start (not syslog)");
  const priValue = Number(pri[1]);
  if (priValue > 191 || (pri[1].length > 1 && pri[1].startsWith("0"))) return fail(`bad PRI <${pri[1]}>`);
  let at = pri[0].length;
  const version = /^(\d{1,2}) /.exec(text.slice(at));
  if (!version) return fail("no VERSION after <PRI> (RFC 3164 or other, not RFC 5424)");
  if (version[1] !== "1") return fail(`syslog version ${version[1]}, not 1`);
  at += version[0].length;
  const parts: string[] = [];
  for (let n = 0; n < 5; n++) {
    const space = text.indexOf(" ", at);
    if (space < 0) return fail("header cut short (TIMESTAMP HOSTNAME APP-NAME PROCID MSGID)");
    parts.push(text.slice(at, space));
    at = space + 1;
  }
  const [timestampText, hostText, appText, procText, msgidText] = parts;
  if (timestampText !== "-" && !TIMESTAMP.test(timestampText)) return fail("bad TIMESTAMP");
  const checks = [field(hostText, 255, "HOSTNAME"), field(appText, 48, "APP-NAME"), field(procText, 128, "PROCID"), field(msgidText, 32, "MSGID")];
  for (const check of checks) if (typeof check === "string") return fail(check);
  const [host, app, procid, msgid] = checks as { value?: string }[];
  const sdLength = structuredLength(text.slice(at));
  if (typeof sdLength === "string") return fail(sdLength);
  const structured = text.slice(at, at + sdLength);
  at += sdLength;
  let msg = "";
  if (at < text.length) {
    if (text[at] !== " ") return fail("no space after STRUCTURED-DATA");
    let body = data.subarray(at + 1);
    if (body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) body = body.subarray(3);
    msg = utf8.decode(body).replace(/[\r\n]+$/, "");
  }
  const severity = priValue % 8;
  return {
    ok: true,
    message: {
      facility: Math.floor(priValue / 8),
      severity,
      level: levelOf(severity),
      timestamp: timestampText === "-" ? undefined : timestampText,
      hostname: host.value,
      app: app.value,
      procid: procid.value,
      msgid: msgid.value,
      structured,
      msg,
    },
  };
}
