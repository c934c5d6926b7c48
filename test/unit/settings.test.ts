import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { defaultSettings, readSettings } from "linklab/settings";

const manifestConfig = JSON.parse(readFileSync(new URL("../../manifest.json", import.meta.url), "utf8")).config as Record<string, unknown>;

describe("linklab/settings", () => {
  it("has the same defaults as manifest.json config, key for key", () => {
    assert.deepEqual(defaultSettings(), manifestConfig);
  });

  it("accepts the manifest config without a problem", () => {
    const r = readSettings(manifestConfig);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.disabled, []);
    assert.deepEqual(r.settings, manifestConfig);
  });

  it("converts mcconfig key=value overrides, which arrive as strings", () => {
    const r = readSettings({ ...manifestConfig, port: "9000", heartbeatMs: "500", timeoutMs: "1500", role: "client", pushMs: "0" });
    assert.deepEqual(r.problems, []);
    assert.equal(r.settings.port, 9000);
    assert.equal(r.settings.heartbeatMs, 500);
    assert.equal(r.settings.timeoutMs, 1500);
    assert.equal(r.settings.role, "client");
    assert.equal(r.settings.pushMs, 0);
  });

  it("names key, value and what is allowed for a port out of range, and keeps the default", () => {
    const r = readSettings({ ...manifestConfig, port: "70000" });
    assert.deepEqual(r.problems, [{ key: "port", value: "70000", allowed: "an integer 1..65535", using: "8420" }]);
    assert.equal(r.settings.port, 8420);
  });

  it("refuses numbers that are not integers, hex or empty", () => {
    for (const value of ["12.5", "0x10", "", "ten", 12.5, true]) {
      const r = readSettings({ ...manifestConfig, maxClients: value });
      assert.equal(r.problems.length, 1, String(value));
      assert.equal(r.problems[0].key, "maxClients");
    }
  });

  it("disables both roles for an unknown role rather than guessing one", () => {
    const r = readSettings({ ...manifestConfig, role: "router" });
    assert.equal(r.problems[0].key, "role");
    assert.equal(r.problems[0].value, "router");
    assert.match(r.problems[0].allowed, /server, client or both/);
    assert.deepEqual(r.disabled.map((d) => d.part).sort(), ["client", "server"]);
  });

  it("disables the client for a server that is neither auto, an address nor a host name", () => {
    const r = readSettings({ ...manifestConfig, server: "http://x" });
    assert.deepEqual(r.disabled, [{ part: "client", reason: "bad server" }]);
  });

  it("refuses timeoutMs not greater than heartbeatMs and uses the default pair", () => {
    const r = readSettings({ ...manifestConfig, heartbeatMs: "3000", timeoutMs: "3000" });
    assert.equal(r.problems.length, 1);
    assert.equal(r.problems[0].key, "timeoutMs");
    assert.match(r.problems[0].allowed, /greater than heartbeatMs=3000/);
    assert.equal(r.settings.heartbeatMs, 1000);
    assert.equal(r.settings.timeoutMs, 3000);
  });

  it("refuses backoffMaxMs below backoffBaseMs", () => {
    const r = readSettings({ ...manifestConfig, backoffBaseMs: "5000", backoffMaxMs: "1000" });
    assert.equal(r.problems[0].key, "backoffMaxMs");
    assert.equal(r.settings.backoffBaseMs, 500);
  });

  it("refuses a bad mode, log level, beacon address and token, one problem per key", () => {
    const r = readSettings({ ...manifestConfig, mode: "bursty", logLevel: "X", beaconAddress: "everyone", token: "has space" });
    assert.deepEqual(r.problems.map((p) => p.key), ["token", "mode", "beaconAddress", "logLevel"]);
    assert.equal(r.settings.mode, "persistent");
  });

  it("treats 0 as off for pushMs, echoMs, beaconMs and tcpKeepaliveS but refuses negatives", () => {
    const r = readSettings({ ...manifestConfig, pushMs: 0, echoMs: "0", beaconMs: "0", tcpKeepaliveS: "0" });
    assert.deepEqual(r.problems, []);
    assert.equal(readSettings({ ...manifestConfig, echoMs: "-5" }).problems[0].key, "echoMs");
  });

  it("fills absent keys with defaults and never throws, even on a config whose getters throw", () => {
    assert.deepEqual(readSettings({}).settings, defaultSettings());
    const hostile = new Proxy({}, { get() { throw new Error("boom"); } });
    assert.doesNotThrow(() => readSettings(hostile));
  });
});
