import { strict as assert } from "node:assert";
import { Link, type LinkEvent } from "linklab/link";
import type { Wifi, WifiMessage } from "linklab/ports";
import { captureLog, FakeClock } from "../support/fakes.ts";

class FakeWifi implements Wifi {
  stations: { options: { ssid: string; password?: string } | undefined; callback: (m: WifiMessage) => void; closed: boolean }[] = [];
  connect(options: { ssid: string; password?: string } | undefined, callback: (m: WifiMessage) => void) {
    const station = { options, callback, closed: false, close: () => { station.closed = true; } };
    this.stations.push(station);
    return station;
  }
  monitor(callback: (m: WifiMessage) => void) {
    return this.connect(undefined, callback);
  }
  say(message: WifiMessage): void {
    this.stations.at(-1)!.callback(message);
  }
}

function setup(ssid = "lab") {
  const fc = new FakeClock();
  const { log, lines } = captureLog(fc.clock);
  const wifi = new FakeWifi();
  let address = ssid ? "" : "127.168.4.7";
  const link = new Link({ ssid, password: "pw" }, { wifi, getAddress: () => address, timers: fc.timers, clock: fc.clock, log: log.tag("wifi"), random: () => 0 });
  const events: LinkEvent[] = [];
  link.onChange((e) => events.push(e));
  return { fc, wifi, link, lines, events, setAddress: (a: string) => (address = a) };
}

describe("linklab/link", () => {
  it("is up at once with no ssid, and only watches Wi-Fi events", () => {
    const h = setup("");
    h.link.start();
    assert.deepEqual(h.events, [{ up: true, address: "127.168.4.7" }]);
    assert.equal(h.wifi.stations.length, 1);
    assert.equal(h.wifi.stations[0].options, undefined, "no connect started");
  });

  it("reports down and up again from watched events with no ssid, without trying to rejoin", () => {
    const h = setup("");
    h.link.start();
    h.wifi.say("disconnect");
    assert.deepEqual(h.events.at(-1), { up: false, reason: "wifi-disconnect" });
    assert.equal(h.link.state, "down");
    h.fc.advance(60000);
    assert.equal(h.wifi.stations.length, 1, "nothing to rejoin without an ssid");
    h.setAddress("127.168.4.8");
    h.wifi.say("gotIP");
    assert.deepEqual(h.events.at(-1), { up: true, address: "127.168.4.8" });
  });

  it("is up at once when the board already joined before main ran, and rejoins after a disconnect", () => {
    const h = setup();
    h.setAddress("127.168.4.7");
    h.link.start();
    assert.deepEqual(h.events, [{ up: true, address: "127.168.4.7" }]);
    assert.equal(h.wifi.stations[0].options, undefined, "watching, not connecting again");
    h.wifi.say("disconnect");
    h.fc.advance(250);
    assert.deepEqual(h.wifi.stations.at(-1)!.options, { ssid: "lab", password: "pw" });
  });

  it("joins the network and reports up with the address on gotIP", () => {
    const h = setup();
    h.link.start();
    assert.equal(h.link.state, "connecting");
    assert.deepEqual(h.wifi.stations[0].options, { ssid: "lab", password: "pw" });
    h.wifi.say("connect");
    assert.equal(h.link.state, "associated");
    h.setAddress("127.168.4.7");
    h.wifi.say("gotIP");
    assert.deepEqual(h.events, [{ up: true, address: "127.168.4.7" }]);
    assert.ok(h.lines.some((l) => /I wifi: got IP address ip=127.168.4.7/.test(l)));
  });

  it("reports down on disconnect, retries after a backoff, and up again on a new address", () => {
    const h = setup();
    h.link.start();
    h.setAddress("127.168.4.7");
    h.wifi.say("gotIP");
    h.wifi.say("disconnect");
    assert.deepEqual(h.events.at(-1), { up: false, reason: "wifi-disconnect" });
    assert.equal(h.link.state, "waiting");
    assert.ok(h.wifi.stations[0].closed);
    h.fc.advance(250);
    assert.equal(h.wifi.stations.length, 2);
    h.setAddress("127.168.4.9");
    h.wifi.say("gotIP");
    assert.deepEqual(h.events.at(-1), { up: true, address: "127.168.4.9" });
  });

  it("retries when no IP arrives in time", () => {
    const h = setup();
    h.link.start();
    h.fc.advance(20000);
    assert.equal(h.link.state, "waiting");
    h.fc.advance(250);
    assert.equal(h.wifi.stations.length, 2);
    assert.ok(h.lines.some((l) => l.includes("no IP address in time")));
  });

  it("reports down then up when the address changes without a disconnect", () => {
    const h = setup();
    h.link.start();
    h.setAddress("127.168.4.7");
    h.wifi.say("gotIP");
    h.setAddress("127.1.1.1");
    h.wifi.say("gotIP");
    assert.deepEqual(h.events, [{ up: true, address: "127.168.4.7" }, { up: false, reason: "address-changed" }, { up: true, address: "127.1.1.1" }]);
  });

  it("keeps telling the other listeners when one throws", () => {
    const h = setup("");
    const seen: LinkEvent[] = [];
    h.link.onChange(() => { throw new Error("role broke"); });
    h.link.onChange((e) => seen.push(e));
    h.link.start();
    assert.equal(seen.length, 1);
    assert.ok(h.lines.some((l) => l.includes("E wifi: callback failed where=\"link listener\"")));
  });

  it("ignores messages from a station it has replaced, and everything after close", () => {
    const h = setup();
    h.link.start();
    h.wifi.say("disconnect");
    h.fc.advance(250);
    h.wifi.stations[0].callback("gotIP");
    assert.equal(h.events.length, 0);
    h.link.close();
    h.wifi.say("gotIP");
    assert.equal(h.events.length, 0);
    assert.equal(h.fc.pendingTimers, 0);
  });
});
