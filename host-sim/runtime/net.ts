// The Moddable `net` module on Node, after SDK 8.2.3 modules/network/net/esp/modNet.c: get("IP") is the board's
// address (undefined while the station has none), "MAC" a stable ESP32-style address derived from the board id,
// "SSID" the access point's name; resolve() answers "localhost" and dotted quads only (no DNS in the lab).
import { createHash } from "node:crypto";
import { isIPv4 } from "node:net";
import { board } from "./board.ts";
import "./commands.ts";
import { station } from "./station.ts";
import { invoke, post } from "./machine.ts";

/** Espressif's OUI (24:0A:C4) and three bytes from the board id, upper-case hex as twoHex() prints them. */
export function macFor(id: string): string {
  const digest = createHash("sha256").update(id).digest();
  return [0x24, 0x0a, 0xc4, digest[0], digest[1], digest[2]].map((byte) => byte.toString(16).toUpperCase().padStart(2, "0")).join(":");
}

const Net = {
  get(what: string, _interface?: string): string | number | string[] | undefined {
    if (_interface === "ap") return undefined;
    switch (String(what)) {
      case "IP":
        return station.up ? board.identity.address : undefined;
      case "MAC":
        return macFor(board.identity.id);
      case "SSID":
        return station.up ? station.apSsid : undefined;
      case "BSSID":
        return station.up ? "02:00:00:00:00:01" : undefined;
      case "RSSI":
        return station.up ? -48 : undefined;
      case "CHANNEL":
        return 6;
      case "DNS":
        return [];
      default:
        return undefined;
    }
  },

  /** Calls back later with (name, address), address undefined when it cannot be resolved. */
  resolve(name: string, callback: (name: string, address?: string) => void): void {
    const host = String(name);
    const address = host === "localhost" ? "127.0.0.1" : isIPv4(host) ? host : undefined;
    post(() => invoke(callback, undefined, host, address));
  },
};

export default Net;
