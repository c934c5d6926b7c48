// Boot configuration: mc/config (manifest values keep their JSON types, mcconfig key=value overrides arrive as
// strings) converted and checked key by key. Never throws: a bad value gets one problem naming the key, the value
// and what is allowed, and falls back to its default, except where guessing would be worse (role, server), which
// instead disables the part that needs it. The caller logs the problems and the disabled parts.

import { isHost, isId, isIPv4, isToken } from "linklab/protocol";
import { isLevel, type Level } from "linklab/log";

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
};

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
  };
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

  const int = (key: keyof Settings & string, rule: IntRule): void => {
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
  const str = (key: keyof Settings & string, check: (s: string) => boolean, allowed: string, fallback: "default" | "disable"): boolean => {
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
  return { settings, problems, disabled };
}
