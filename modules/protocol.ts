// Codec of the linklab v1 wire protocol (text lines over TCP) and of the UDP discovery beacon. Pure functions:
// every input gets a tagged result, bad input a reason; nothing here throws.

import { decodeAscii, toBytes } from "linklab/framing";

export type Message =
  | { type: "HELLO"; clientId: string; token?: string }
  | { type: "WELCOME"; serverId: string; session: number; heartbeatMs: number; timeoutMs: number }
  | { type: "PING"; seq: number }
  | { type: "PONG"; seq: number }
  | { type: "ECHO"; seq: number; text: string }
  | { type: "PUSH"; seq: number; text: string }
  | { type: "BYE"; reason?: string }
  | { type: "ERR"; code: string; text?: string };

/** ERR codes this firmware sends. */
export type ErrCode =
  | "too-long"
  | "unknown"
  | "bad-syntax"
  | "bad-bytes"
  | "bad-hello"
  | "not-ready"
  | "unexpected"
  | "auth"
  | "busy"
  | "hello-timeout"
  | "too-many-errors"
  | "replaced";

export type ParseResult = { ok: true; message: Message } | { ok: false; code: "unknown" | "bad-syntax" | "bad-hello"; reason: string };

export const MAX_ID = 32;
export const MAX_TOKEN = 64;
export const MAX_BEACON = 256;

function isIdChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x2e || c === 0x5f;
}

/** Board ids: 1..32 of [A-Za-z0-9._-]. */
export function isId(text: string): boolean {
  if (text.length < 1 || text.length > MAX_ID) return false;
  for (let i = 0; i < text.length; i++) if (!isIdChar(text.charCodeAt(i))) return false;
  return true;
}

/** Tokens: 1..64 printable ASCII characters other than space. */
export function isToken(text: string): boolean {
  if (text.length < 1 || text.length > MAX_TOKEN) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

/** A decimal integer without sign or leading zeros, at most 15 digits; else undefined. */
export function parseUint(text: string): number | undefined {
  if (text.length < 1 || text.length > 15) return undefined;
  if (text.length > 1 && text.charCodeAt(0) === 0x30) return undefined;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
    value = value * 10 + (c - 0x30);
  }
  return value;
}

/** Dotted-quad IPv4 without leading zeros. */
export function isIPv4(text: string): boolean {
  const parts = text.split(".");
  if (parts.length !== 4) return false;
  for (const part of parts) {
    const n = parseUint(part);
    if (n === undefined || n > 255 || part.length > 3) return false;
  }
  return true;
}

/** Hostname (RFC 1123 letters, digits, hyphens, dots), or IPv4. */
export function isHost(text: string): boolean {
  if (text.length < 1 || text.length > 253) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x2e;
    if (!ok) return false;
  }
  return text.charCodeAt(0) !== 0x2e && text.charCodeAt(text.length - 1) !== 0x2e;
}

function fail(code: "unknown" | "bad-syntax" | "bad-hello", reason: string): ParseResult {
  return { ok: false, code, reason };
}

function keyed(part: string | undefined, key: string): number | undefined {
  if (part === undefined || !part.startsWith(key + "=")) return undefined;
  return parseUint(part.slice(key.length + 1));
}

/** `<VERB> <seq>[ <text>]` for ECHO and PUSH: the text is the rest of the line and may hold spaces or be empty. */
function seqText(line: string, verb: "ECHO" | "PUSH"): ParseResult {
  const rest = line.slice(verb.length + 1);
  const space = rest.indexOf(" ");
  const seq = parseUint(space < 0 ? rest : rest.slice(0, space));
  if (seq === undefined) return fail("bad-syntax", verb + " needs a sequence number");
  const text = space < 0 ? "" : rest.slice(space + 1);
  return { ok: true, message: { type: verb, seq, text } };
}

/** One line (without its ending) into a message. */
export function parseLine(line: string): ParseResult {
  if (line.length === 0) return fail("unknown", "empty line");
  const space = line.indexOf(" ");
  const verb = space < 0 ? line : line.slice(0, space);
  switch (verb) {
    case "HELLO": {
      const parts = line.split(" ");
      if (parts.length < 2 || parts.length > 3) return fail("bad-hello", "expected HELLO <clientId> [token=<t>]");
      if (!isId(parts[1])) return fail("bad-hello", "clientId must be 1-32 of A-Z a-z 0-9 . _ -");
      if (parts.length === 2) return { ok: true, message: { type: "HELLO", clientId: parts[1] } };
      if (!parts[2].startsWith("token=") || !isToken(parts[2].slice(6))) return fail("bad-hello", "expected token=<t>");
      return { ok: true, message: { type: "HELLO", clientId: parts[1], token: parts[2].slice(6) } };
    }
    case "WELCOME": {
      const parts = line.split(" ");
      const session = keyed(parts[2], "session");
      const heartbeatMs = keyed(parts[3], "heartbeatMs");
      const timeoutMs = keyed(parts[4], "timeoutMs");
      if (parts.length !== 5 || !isId(parts[1]) || session === undefined || heartbeatMs === undefined || timeoutMs === undefined)
        return fail("bad-syntax", "expected WELCOME <serverId> session=<n> heartbeatMs=<ms> timeoutMs=<ms>");
      return { ok: true, message: { type: "WELCOME", serverId: parts[1], session, heartbeatMs, timeoutMs } };
    }
    case "PING":
    case "PONG": {
      const seq = space < 0 ? undefined : parseUint(line.slice(space + 1));
      if (seq === undefined) return fail("bad-syntax", "expected " + verb + " <seq>");
      return { ok: true, message: { type: verb, seq } };
    }
    case "ECHO":
    case "PUSH":
      if (space < 0) return fail("bad-syntax", "expected " + verb + " <seq> <text>");
      return seqText(line, verb);
    case "BYE":
      return { ok: true, message: space < 0 ? { type: "BYE" } : { type: "BYE", reason: line.slice(space + 1) } };
    case "ERR": {
      if (space < 0) return fail("bad-syntax", "expected ERR <code> <text>");
      const rest = line.slice(space + 1);
      const gap = rest.indexOf(" ");
      const code = gap < 0 ? rest : rest.slice(0, gap);
      if (!isId(code)) return fail("bad-syntax", "expected ERR <code> <text>");
      return { ok: true, message: gap < 0 ? { type: "ERR", code } : { type: "ERR", code, text: rest.slice(gap + 1) } };
    }
    default:
      return fail("unknown", "unknown message");
  }
}

/** A message as its line, without the ending. */
export function formatMessage(message: Message): string {
  switch (message.type) {
    case "HELLO":
      return message.token ? "HELLO " + message.clientId + " token=" + message.token : "HELLO " + message.clientId;
    case "WELCOME":
      return "WELCOME " + message.serverId + " session=" + message.session + " heartbeatMs=" + message.heartbeatMs + " timeoutMs=" + message.timeoutMs;
    case "PING":
    case "PONG":
      return message.type + " " + message.seq;
    case "ECHO":
    case "PUSH":
      return message.type + " " + message.seq + " " + message.text;
    case "BYE":
      return message.reason ? "BYE " + message.reason : "BYE";
    case "ERR":
      return message.text ? "ERR " + message.code + " " + message.text : "ERR " + message.code;
  }
}

/** `group`: absent (or "") for a server without one; the datagram then has no group field, as before groups. */
export type Beacon = { id: string; role: "server"; ip: string; port: number; seq: number; uptimeMs: number; group?: string };
export type BeaconResult = { ok: true; beacon: Beacon } | { ok: false; reason: string };

export function formatBeacon(beacon: Beacon): string {
  const line = "LINKLAB1 id=" + beacon.id + " role=" + beacon.role + " ip=" + beacon.ip + " port=" + beacon.port + " seq=" + beacon.seq + " uptimeMs=" + beacon.uptimeMs;
  return beacon.group ? line + " group=" + beacon.group : line;
}

/**
 * A datagram into a beacon: exactly `LINKLAB1 id=.. role=server ip=.. port=.. seq=.. uptimeMs=..`, then ` group=..`
 * (1-32 of A-Z a-z 0-9 . _ -) when the server has a group; at most 256 bytes.
 */
export function parseBeacon(data: ArrayBuffer | Uint8Array): BeaconResult {
  const bytes = toBytes(data);
  if (bytes.length > MAX_BEACON) return { ok: false, reason: "longer than 256 bytes" };
  const text = decodeAscii(bytes);
  if (typeof text !== "string") return { ok: false, reason: "not printable ASCII" };
  const parts = text.split(" ");
  if ((parts.length !== 7 && parts.length !== 8) || parts[0] !== "LINKLAB1") return { ok: false, reason: "not LINKLAB1 with 6 fields (7 with group)" };
  const value = (index: number, key: string) => (parts[index].startsWith(key + "=") ? parts[index].slice(key.length + 1) : undefined);
  const id = value(1, "id");
  if (id === undefined || !isId(id)) return { ok: false, reason: "bad id" };
  if (value(2, "role") !== "server") return { ok: false, reason: "role is not server" };
  const ip = value(3, "ip");
  if (ip === undefined || !isIPv4(ip)) return { ok: false, reason: "bad ip" };
  const port = parseUint(value(4, "port") ?? "");
  if (port === undefined || port < 1 || port > 65535) return { ok: false, reason: "bad port" };
  const seq = parseUint(value(5, "seq") ?? "");
  if (seq === undefined) return { ok: false, reason: "bad seq" };
  const uptimeMs = parseUint(value(6, "uptimeMs") ?? "");
  if (uptimeMs === undefined) return { ok: false, reason: "bad uptimeMs" };
  if (parts.length === 7) return { ok: true, beacon: { id, role: "server", ip, port, seq, uptimeMs } };
  const group = value(7, "group");
  if (group === undefined) return { ok: false, reason: "field after uptimeMs is not group" };
  if (!isId(group)) return { ok: false, reason: "bad group" };
  return { ok: true, beacon: { id, role: "server", ip, port, seq, uptimeMs, group } };
}
