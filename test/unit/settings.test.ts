import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { defaultSettings, maxClientsFitting, maxLineFitting, readSettings, XS_HEAP } from "linklab/settings";

type Creation = { chunk: { initial: number; incremental: number }; heap: { initial: number; incremental: number } };
const manifest = JSON.parse(readFileSync(new URL("../../manifest.json", import.meta.url), "utf8")) as { config: Record<string, unknown>; platforms: { esp32: { creation: Creation } } };
const manifestConfig = manifest.config;

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

  describe("maxClients and the XS heap (manifest.json platforms.esp32.creation)", () => {
    it("counts with the heap manifest.json gives the esp32: fixed, chunk bytes and slots as XS_HEAP says", () => {
      const creation = manifest.platforms.esp32.creation;
      assert.deepEqual(
        { chunk: creation.chunk, heap: creation.heap },
        { chunk: { initial: XS_HEAP.chunkBytes, incremental: 0 }, heap: { initial: XS_HEAP.slots, incremental: 0 } },
      );
    });

    it("fits the default maxClients with the default maxLine, and no more", () => {
      assert.equal(maxClientsFitting(defaultSettings().maxLine), defaultSettings().maxClients);
      assert.deepEqual(readSettings({ ...manifestConfig, maxClients: "8" }).problems, []);
    });

    it("refuses a maxClients the heap cannot hold, naming the most that fit, and uses that", () => {
      for (const value of ["9", 16, "4096"]) {
        const r = readSettings({ ...manifestConfig, maxClients: value });
        assert.deepEqual(r.problems, [{ key: "maxClients", value: String(value), allowed: "an integer 1..8 (what the XS heap holds with maxLine=256)", using: "8" }]);
        assert.equal(r.settings.maxClients, 8);
      }
    });

    it("holds fewer clients with longer lines (line buffer and send queue grow with maxLine)", () => {
      assert.deepEqual([64, 256, 512, 1024, 2048].map(maxClientsFitting), [10, 8, 4, 2, 1]);
      const r = readSettings({ ...manifestConfig, maxLine: "512" });
      assert.deepEqual(r.problems, [{ key: "maxClients", value: "8", allowed: "an integer 1..4 (what the XS heap holds with maxLine=512)", using: "4" }]);
      assert.equal(r.settings.maxLine, 512);
      assert.equal(r.settings.maxClients, 4);
      assert.deepEqual(readSettings({ ...manifestConfig, maxLine: "1024", maxClients: "2" }).problems, []);
    });

    it("falls back to the default maxLine when not even one client fits it", () => {
      assert.equal(maxLineFitting(), 2503);
      assert.equal(maxClientsFitting(maxLineFitting() + 1), 0);
      const r = readSettings({ ...manifestConfig, maxLine: "4096", maxClients: "3" });
      assert.deepEqual(r.problems, [{ key: "maxLine", value: "4096", allowed: "an integer 64..2503 (what the XS heap holds for one client)", using: "maxLine=256 maxClients=3" }]);
      assert.equal(r.settings.maxLine, 256);
      assert.equal(r.settings.maxClients, 3);
    });

    it("leaves maxClients alone on a client-only board (it runs no server)", () => {
      const r = readSettings({ ...manifestConfig, role: "client", maxClients: "50", maxLine: "4096" });
      assert.deepEqual(r.problems, []);
      assert.equal(r.settings.maxClients, 50);
    });
  });
});
