// Boot configuration: mc/config (manifest values keep their JSON types, mcconfig key=value overrides arrive as
// strings) converted and checked key by key. Never throws: a bad value gets one problem naming the key, the value
// and what is allowed, and falls back to its default, except where guessing would be worse (role, server), which
// instead disables the part that needs it. The caller logs the problems and the disabled parts.

import { isHost, isId, isIPv4, isToken } from "linklab/protocol";
import { isLevel, type Level } from "linklab/log";
import { parseLogTo } from "linklab/syslog";

export type Role = "server" | "client" | "both";
export type Mode = "persistent" | "short";

export type Settings = {
  role: Role;
  id: string;
  ssid: string;
  password: string;
  port: number;
  server: string;
  token: string;
  maxClients: number;
  maxLine: number;
  handshakeMs: number;
  heartbeatMs: number;
  timeoutMs: number;
  pushMs: number;
  echoMs: number;
  outboxMax: number;
  mode: Mode;
  backoffBaseMs: number;
  backoffMaxMs: number;
  connectTimeoutMs: number;
  tcpKeepaliveS: number;
  beaconMs: number;
  beaconPort: number;
  beaconAddress: string;
  logLevel: Level;
  heartbeatLogEvery: number;
  /** Where each log line also goes as a UDP syslog datagram (linklab/syslog): "" (off) or <IPv4>:<port>. */
  logTo: string;
  /** The class group: the beacon carries it, and a server=auto client adopts only servers of its own ("" = none). */
  group: string;
  /** Seconds a short press of the BOOT button drops Wi-Fi, and a long press keeps the board dark (0 = that press off). */
  buttonDropS: number;
  buttonOffS: number;
};

/** The settings each role takes, named once here: the roles' option types and main.ts derive from these lists. */
export const SERVER_KEYS = ["port", "token", "maxClients", "maxLine", "handshakeMs", "heartbeatMs", "timeoutMs", "pushMs"] as const;
export const CLIENT_KEYS = [
  "server",
  "port",
  "token",
  "maxLine",
  "handshakeMs",
  "heartbeatMs",
  "timeoutMs",
  "echoMs",
  "outboxMax",
  "mode",
  "backoffBaseMs",
  "backoffMaxMs",
  "connectTimeoutMs",
  "tcpKeepaliveS",
] as const;
export type ServerSettings = Pick<Settings, (typeof SERVER_KEYS)[number]>;
export type ClientSettings = Pick<Settings, (typeof CLIENT_KEYS)[number]>;

/** The named settings, copied (main.ts hands each role its own). */
export function pick<K extends keyof Settings>(settings: Settings, keys: readonly K[]): Pick<Settings, K> {
  const out = {} as Pick<Settings, K>;
  for (const key of keys) out[key] = settings[key];
  return out;
}

export type SettingsProblem = { key: string; value: string; allowed: string; using?: string };

export type SettingsResult = {
  settings: Settings;
  problems: SettingsProblem[];
  /** Parts of the firmware that will not run because of a problem: "server", "client". */
  disabled: { part: "server" | "client"; reason: string }[];
};

/** The same defaults as manifest.json "config" (used when a key is absent, e.g. an app built without it). */
export function defaultSettings(): Settings {
  return {
    role: "both",
    id: "",
    ssid: "",
    password: "",
    port: 8420,
    server: "auto",
    token: "",
    maxClients: 8,
    maxLine: 256,
    handshakeMs: 2000,
    heartbeatMs: 1000,
    timeoutMs: 3000,
    pushMs: 0,
    echoMs: 2000,
    outboxMax: 16,
    mode: "persistent",
    backoffBaseMs: 500,
    backoffMaxMs: 30000,
    connectTimeoutMs: 3000,
    tcpKeepaliveS: 0,
    beaconMs: 2000,
    beaconPort: 8421,
    beaconAddress: "255.255.255.255",
    logLevel: "I",
    heartbeatLogEvery: 10,
    logTo: "",
    group: "",
    buttonDropS: 5,
    buttonOffS: 10,
  };
}

/**
 * The XS heap of linklab on the ESP32: manifest.json "platforms.esp32.creation", fixed (incremental 0), so the board
 * stops with `XS abort: memory full` at a known point instead of when the system heap Wi-Fi and lwIP share runs
 * out. Slots are counted, not bytes: 16 bytes each on the ESP32, 32 on 64-bit lin. test/unit/settings.test.ts
 * checks that these agree with manifest.json.
 */
export const XS_HEAP = { slots: 8064, chunkBytes: 32768 };

/**
 * What the firmware takes from that heap, measured live (after a full collection) on real XS 17 (Moddable SDK
 * 8.2.3, lin) by bench/xs-device-memory.ts; docs/performance.md, "XS memory on the device". Chunk bytes are lin's,
 * an upper bound for the ESP32 (smaller pointers and slots inside chunks).
 */
export const XS_COST = {
  /**
   * Both roles booted (server listening, client started), no session: 2,554 slots and 2,152 chunk bytes measured on
   * 2026-11-30 with the pure modules preloaded (manifest.json "preload"); 3,800 slots before that, with syslog, the
   * button and the adapters added. Chunk bytes keep the older, higher bound.
   */
  bootSlots: 2600,
  bootChunkBytes: 2500,
  /** One TCP connection on the server, online or still handshaking: slots (198 measured, the same whatever maxLine). */
  connectionSlots: 198,
  /** ... and chunk bytes besides its maxLine-byte line buffer (158 measured). */
  connectionChunkBytes: 160,
  /** An online session's send queue may hold up to this many times maxLine (modules/server.ts: queueMax). */
  queueLines: 8,
};

/**
 * The share of each heap the model may fill; the rest is for garbage between collections and what was not measured
 * (the ESP32's own modules, the slots of lines waiting in a send queue). Measured, the heap holds 24 connections
 * where the model's worst case for maxClients 8 counts 16 (docs/performance.md).
 */
export const XS_FILL = 0.85;

/**
 * The largest maxClients whose worst case fits XS_FILL of the heap: maxClients sessions online plus as many pending
 * handshakes (the server's budget for them is maxClients; at most maxClients - 1 of them while maxClients are online,
 * so 2 x maxClients also covers one being refused), every online one with a full send queue. 10 up to maxLine 221
 * (the slots bind there), 9 up to 249, 8 up to 284 (the default is 256), 4 at 512, 2 at 1024, 1 at 2048, and 0 from
 * maxLine 2504 on, where not even one client fits.
 */
export function maxClientsFitting(maxLine: number): number {
  const slots = Math.floor((XS_HEAP.slots * XS_FILL - XS_COST.bootSlots) / (2 * XS_COST.connectionSlots));
  const perClient = 2 * (XS_COST.connectionChunkBytes + maxLine) + XS_COST.queueLines * maxLine;
  const chunks = Math.floor((XS_HEAP.chunkBytes * XS_FILL - XS_COST.bootChunkBytes) / perClient);
  return Math.max(0, Math.min(slots, chunks));
}

/** The longest maxLine with which one client fits (maxClientsFitting >= 1): 2503. */
export function maxLineFitting(): number {
  const perClientBytes = XS_HEAP.chunkBytes * XS_FILL - XS_COST.bootChunkBytes - 2 * XS_COST.connectionChunkBytes;
  return Math.floor(perClientBytes / (2 + XS_COST.queueLines));
}

type IntRule = { min: number; max: number; zeroOff?: boolean };

const show = (value: unknown): string => (typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : typeof value);

/** A config value as an integer: numbers as they are, strings of decimal digits (mcconfig overrides) converted. */
function toInt(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) ? value : undefined;
  if (typeof value !== "string") return undefined;
  let text = value.trim();
  let sign = 1;
  if (text.startsWith("-")) {
    sign = -1;
    text = text.slice(1);
  }
  if (text.length < 1 || text.length > 15) return undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
  }
  return sign * Number(text);
}

export function readSettings(config: Record<string, unknown>): SettingsResult {
  const settings = defaultSettings();
  const defaults = defaultSettings();
  const problems: SettingsProblem[] = [];
  const disabled: SettingsResult["disabled"] = [];
  const get = (key: string): unknown => {
    try {
      return config[key];
    } catch {
      return undefined;
    }
  };

  const int = (key: keyof Settings, rule: IntRule): void => {
    const raw = get(key);
    if (raw === undefined) return;
    const n = toInt(raw);
    const ok = n !== undefined && ((rule.zeroOff && n === 0) || (n >= rule.min && n <= rule.max));
    if (ok) (settings as Record<string, unknown>)[key] = n;
    else {
      const allowed = (rule.zeroOff ? "0 (off) or " : "") + "an integer " + rule.min + ".." + rule.max;
      problems.push({ key, value: show(raw), allowed, using: String(defaults[key]) });
    }
  };
  const str = (key: keyof Settings, check: (s: string) => boolean, allowed: string, fallback: "default" | "disable"): boolean => {
    const raw = get(key);
    if (raw === undefined) return true;
    if (typeof raw === "string" && check(raw)) {
      (settings as Record<string, unknown>)[key] = raw;
      return true;
    }
    problems.push({ key, value: show(raw), allowed, using: fallback === "default" ? String(defaults[key]) : undefined });
    return false;
  };

  if (!str("role", (s) => s === "server" || s === "client" || s === "both", "server, client or both", "disable")) {
    disabled.push({ part: "server", reason: "bad role" }, { part: "client", reason: "bad role" });
  }
  str("id", (s) => s === "" || isId(s), "empty (derived from the board) or 1-32 of A-Z a-z 0-9 . _ -", "default");
  str("ssid", (s) => s.length <= 32, "0-32 characters (empty = link already up)", "default");
  str("password", (s) => s.length <= 64, "0-64 characters", "default");
  // Not 0: the Server can bind an ephemeral port (tests do), but a board's clients with a fixed server, and a person
  // typing into nc, need to know it; server=auto clients would learn it from the beacon, the others could not.
  int("port", { min: 1, max: 65535 });
  if (!str("server", (s) => s === "auto" || isHost(s), "auto, an IPv4 address or a host name", "disable")) {
    disabled.push({ part: "client", reason: "bad server" });
  }
  str("token", (s) => s === "" || isToken(s), "empty (no auth) or 1-64 printable ASCII without spaces", "default");
  int("maxClients", { min: 1, max: 4096 });
  int("maxLine", { min: 64, max: 4096 });
  int("handshakeMs", { min: 100, max: 600000 });
  int("heartbeatMs", { min: 20, max: 3600000 });
  int("timeoutMs", { min: 50, max: 3600000 });
  int("pushMs", { min: 20, max: 3600000, zeroOff: true });
  int("echoMs", { min: 10, max: 3600000, zeroOff: true });
  int("outboxMax", { min: 0, max: 1024 });
  str("mode", (s) => s === "persistent" || s === "short", "persistent or short", "default");
  int("backoffBaseMs", { min: 10, max: 600000 });
  int("backoffMaxMs", { min: 10, max: 3600000 });
  int("connectTimeoutMs", { min: 100, max: 600000 });
  int("tcpKeepaliveS", { min: 1, max: 7200, zeroOff: true });
  int("beaconMs", { min: 100, max: 3600000, zeroOff: true });
  int("beaconPort", { min: 1, max: 65535 });
  str("beaconAddress", isIPv4, "an IPv4 address (255.255.255.255, a subnet broadcast or a multicast group)", "default");
  str("logLevel", isLevel, "E, W, I or D", "default");
  int("heartbeatLogEvery", { min: 0, max: 1000000 });
  str("logTo", (s) => s === "" || parseLogTo(s) !== undefined, "empty (off) or <IPv4>:<port> of a syslog receiver (the machine running linklab monitor)", "default");
  str("group", (s) => s === "" || isId(s), "empty (no group) or 1-32 of A-Z a-z 0-9 . _ -", "default");
  int("buttonDropS", { min: 1, max: 3600, zeroOff: true });
  int("buttonOffS", { min: 1, max: 3600, zeroOff: true });

  // Pairs whose values depend on each other: when the order is wrong, both fall back to their defaults together.
  const ordered = (low: "heartbeatMs" | "backoffBaseMs", high: "timeoutMs" | "backoffMaxMs", strictly: boolean): void => {
    if (strictly ? settings[high] > settings[low] : settings[high] >= settings[low]) return;
    problems.push({
      key: high,
      value: String(settings[high]),
      allowed: (strictly ? "greater than " : "at least ") + low + "=" + settings[low],
      using: low + "=" + defaults[low] + " " + high + "=" + defaults[high],
    });
    settings[low] = defaults[low];
    settings[high] = defaults[high];
  };
  ordered("heartbeatMs", "timeoutMs", true);
  ordered("backoffBaseMs", "backoffMaxMs", false);

  // A server must fit its worst case into the XS heap (maxClientsFitting): more clients than that are refused and
  // the most that fit is used; a maxLine with which not even one fits falls back to the default, and maxClients to
  // what fits with that.
  if (settings.role !== "client") {
    const fits = maxClientsFitting(settings.maxLine);
    if (fits < 1) {
      problems.push({
        key: "maxLine",
        value: String(settings.maxLine),
        allowed: "an integer 64.." + maxLineFitting() + " (what the XS heap holds for one client)",
        using: "maxLine=" + defaults.maxLine + " maxClients=" + Math.min(settings.maxClients, maxClientsFitting(defaults.maxLine)),
      });
      settings.maxLine = defaults.maxLine;
    }
    const most = maxClientsFitting(settings.maxLine);
    if (fits >= 1 && settings.maxClients > most) {
      problems.push({
        key: "maxClients",
        value: String(settings.maxClients),
        allowed: "an integer 1.." + most + " (what the XS heap holds with maxLine=" + settings.maxLine + ")",
        using: String(most),
      });
    }
    settings.maxClients = Math.min(settings.maxClients, most);
  }
  return { settings, problems, disabled };
}
