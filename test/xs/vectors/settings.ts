// Vectors for linklab/settings: manifest-typed values, mcconfig string overrides, every kind of bad value, and the
// cross-key rules, read on Node and XS.
import { defaultSettings, readSettings } from "linklab/settings";

export function vectors(): Record<string, unknown> {
  const configs: Record<string, unknown>[] = [
    {},
    { role: "server", port: 8420, heartbeatMs: 1000, timeoutMs: 3000 },
    { role: "client", server: "auto", port: "9000", heartbeatMs: "500", timeoutMs: "1500", logLevel: "D" },
    { role: "client", server: "127.168.4.1", token: "s3cret", mode: "short", pushMs: "0", echoMs: 0 },
    { role: "router" },
    { server: "bad host!" },
    { port: "0" }, { port: 65536 }, { port: "80x" }, { port: 1.5 }, { port: " 8080 " }, { port: "-1" }, { port: true },
    { maxClients: "0" }, { maxLine: 63 }, { tcpKeepaliveS: "0" }, { tcpKeepaliveS: 7201 }, { beaconMs: 0 }, { beaconMs: 50 },
    { heartbeatMs: 3000, timeoutMs: 3000 },
    { heartbeatMs: "200", timeoutMs: "100" },
    { backoffBaseMs: 5000, backoffMaxMs: 1000 },
    { id: "board-1" }, { id: "no spaces" }, { id: "" },
    { ssid: "x".repeat(33) }, { password: "p".repeat(65) },
    { beaconAddress: "127.168.4.255" }, { beaconAddress: "broadcast" },
    { logLevel: "V" }, { token: "has space" }, { mode: "sometimes" }, { heartbeatLogEvery: "10" },
    { role: 1, server: null, port: {}, id: ["x"] },
  ];
  const throwing = new Proxy({}, {
    get(_target, key) {
      if (key === "port") throw new Error("config read failed");
      return undefined;
    },
  });
  return {
    defaults: defaultSettings(),
    results: configs.map((config) => readSettings(config)),
    throwingConfig: readSettings(throwing),
  };
}
