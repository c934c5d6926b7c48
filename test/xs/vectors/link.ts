// Vectors for linklab/link: joining, association, IP, a timeout with backoff, a drop and rejoin, an address change,
// a listener that throws, the no-ssid and joined-at-boot paths, with a fake Wi-Fi and clock, on Node and XS.
import { Link, type LinkEvent } from "linklab/link";
import type { Wifi, WifiMessage, WifiStation } from "linklab/ports";
import { FakeClock, captureLog } from "../../support/fakes.ts";
import { seededRandom } from "../../../host-sim/seeded-random.ts";

type Station = WifiStation & { options: { ssid: string; password?: string } | undefined; callback: (m: WifiMessage) => void; closed: boolean };

class FakeWifi implements Wifi {
  stations: Station[] = [];
  connect(options: { ssid: string; password?: string } | undefined, callback: (m: WifiMessage) => void): Station {
    const station: Station = { options, callback, closed: false, close: () => void (station.closed = true) };
    this.stations.push(station);
    return station;
  }
  monitor(callback: (m: WifiMessage) => void): Station {
    return this.connect(undefined, callback);
  }
  say(message: WifiMessage): void {
    this.stations[this.stations.length - 1].callback(message);
  }
}

function run(ssid: string, bootAddress: string, script: (h: { clock: FakeClock; wifi: FakeWifi; setAddress: (a: string) => void; link: Link }) => void) {
  const clock = new FakeClock();
  const { log, lines } = captureLog(clock.clock, "D");
  const wifi = new FakeWifi();
  let address = bootAddress;
  const link = new Link({ ssid, password: "pw" }, { wifi, getAddress: () => address, timers: clock.timers, clock: clock.clock, log: log.tag("wifi"), random: seededRandom(5) });
  const events: LinkEvent[] = [];
  link.onChange((e) => events.push(e));
  link.onChange(() => {
    throw new Error("listener bug");
  });
  link.start();
  script({ clock, wifi, setAddress: (a) => (address = a), link });
  const stations = wifi.stations.map((s) => ({ options: s.options ?? null, closed: s.closed }));
  link.close();
  link.close();
  clock.advance(60000);
  return { lines, events, stations, state: link.state, pendingTimers: clock.pendingTimers };
}

export function vectors(): Record<string, unknown> {
  return {
    joining: run("lab", "", ({ clock, wifi, setAddress }) => {
      clock.advance(500);
      wifi.say("connect");
      clock.advance(700);
      setAddress("127.168.4.7");
      wifi.say("gotIP");
      clock.advance(5000);
      setAddress("");
      wifi.say("disconnect");
      for (let i = 0; i < 100 && wifi.stations.length < 3; i++) clock.advance(100);
      wifi.say("connect");
      setAddress("127.168.4.8");
      wifi.say("gotIP");
      setAddress("127.168.4.9");
      wifi.say("gotIP");
      wifi.say("lostIP");
    }),
    timeout: run("lab", "", ({ clock }) => clock.advance(50000)),
    noSsid: run("", "127.0.0.2", ({ wifi, setAddress }) => {
      wifi.say("disconnect");
      setAddress("127.0.0.3");
      wifi.say("gotIP");
    }),
    joinedAtBoot: run("lab", "127.168.4.20", ({ clock, wifi }) => {
      wifi.say("disconnect");
      clock.advance(10000);
    }),
  };
}
