// linklab/button: the BOOT button's presses told apart after debouncing (short on release, long while held), and
// what they do: a short press drops Wi-Fi for dropMs through the link, a long press drops it for good and restarts
// after offMs (or rejoins after offMs where there is no restart). Fake clock, timers, Digital and Wi-Fi.
import { strict as assert } from "node:assert";
import { DEBOUNCE_MS, LONG_PRESS_MS, PressDetector, startBootButton, type DigitalClass } from "linklab/button";
import { Link } from "linklab/link";
import type { Wifi, WifiMessage, WifiStation } from "linklab/ports";
import { FakeClock, captureLog } from "../support/fakes.ts";

/** A fake GPIO 0 in Digital's shape: level 1 released, 0 pressed; `set(level)` makes an edge. */
function fakeButton(): { Digital: DigitalClass<number>; set(level: 0 | 1): void; opened: () => number; closed: () => number } {
  let level: 0 | 1 = 1;
  let onReadable: (() => void) | undefined;
  let opened = 0;
  let closed = 0;
  class Digital {
    static readonly InputPullUp = 1;
    static readonly Rising = 1;
    static readonly Falling = 2;
    constructor(options: { pin: number; mode: unknown; edge: number; onReadable: () => void }) {
      assert.equal(options.pin, 0);
      assert.equal(options.edge, 3, "both edges");
      onReadable = options.onReadable;
      opened++;
    }
    read(): number {
      return level;
    }
    close(): void {
      closed++;
    }
  }
  return {
    Digital,
    set(next) {
      level = next;
      onReadable?.();
    },
    opened: () => opened,
    closed: () => closed,
  };
}

function detector() {
  const clock = new FakeClock();
  let pressed = false;
  const presses: string[] = [];
  const d = new PressDetector(
    { clock: clock.clock, timers: clock.timers, pressed: () => pressed },
    { short: (ms) => presses.push(`short ${ms}`), long: (ms) => presses.push(`long ${ms}`) },
  );
  const edge = (down: boolean): void => {
    pressed = down;
    d.changed();
  };
  return { clock, edge, presses, d };
}

describe("linklab/button PressDetector", () => {
  it("calls a press short on release when it was held less than LONG_PRESS_MS", () => {
    const { clock, edge, presses } = detector();
    edge(true);
    clock.advance(300);
    edge(false);
    clock.advance(100);
    assert.deepEqual(presses, ["short 300"]);
  });

  it("calls a press long once it has been held LONG_PRESS_MS, while still held, and nothing on release", () => {
    const { clock, edge, presses } = detector();
    edge(true);
    clock.advance(DEBOUNCE_MS + LONG_PRESS_MS - 1);
    assert.deepEqual(presses, [], "not yet");
    clock.advance(1);
    assert.deepEqual(presses, [`long ${LONG_PRESS_MS}`]);
    clock.advance(3000);
    edge(false);
    clock.advance(100);
    assert.deepEqual(presses, [`long ${LONG_PRESS_MS}`]);
  });

  it("ignores contact bounce: edges closer than DEBOUNCE_MS count by the level they settle at", () => {
    const { clock, edge, presses } = detector();
    for (const down of [true, false, true, false, true]) {
      edge(down);
      clock.advance(2);
    }
    clock.advance(200);
    for (const down of [false, true, false]) {
      edge(down);
      clock.advance(2);
    }
    clock.advance(100);
    assert.equal(presses.length, 1, `one press, not several: ${presses.join(", ")}`);
    assert.match(presses[0], /^short /);
  });

  it("takes a tap shorter than the debounce for nothing (the level is back up when it settles)", () => {
    const { clock, edge, presses } = detector();
    edge(true);
    clock.advance(5);
    edge(false);
    clock.advance(3000);
    assert.deepEqual(presses, []);
  });

  it("leaves no timer behind after close()", () => {
    const { clock, edge, d } = detector();
    edge(true);
    clock.advance(100);
    d.close();
    assert.equal(clock.pendingTimers, 0);
  });
});

describe("linklab/button startBootButton", () => {
  function setUp(options: { dropMs: number; offMs: number }, restart: boolean) {
    const clock = new FakeClock();
    const { log, lines } = captureLog(clock.clock);
    const button = fakeButton();
    const actions: string[] = [];
    const close = startBootButton(button.Digital, options, { clock: clock.clock, timers: clock.timers, log: log.tag("button") }, {
      dropWifi: (forMs) => actions.push(`drop ${forMs ?? "for good"}`),
      restart: restart ? () => actions.push(`restart at ${clock.nowMs}`) : undefined,
    });
    const press = (ms: number): void => {
      button.set(0);
      clock.advance(ms);
      button.set(1);
      clock.advance(100);
    };
    return { clock, lines, button, actions, close, press };
  }

  it("opens GPIO 0 and says so; a short press drops Wi-Fi for dropMs", () => {
    const { lines, actions, press } = setUp({ dropMs: 5000, offMs: 10000 }, true);
    assert.match(lines[0], /I button: BOOT button ready .* pin=0 dropMs=5000 offMs=10000 longMs=2000$/);
    press(200);
    assert.deepEqual(actions, ["drop 5000"]);
    assert.ok(lines.some((l) => /I button: short press: dropping Wi-Fi heldMs=\d+ forMs=5000$/.test(l)), lines.join("\n"));
  });

  it("a long press drops Wi-Fi for good at once, then restarts after offMs", () => {
    const { clock, actions, press, lines } = setUp({ dropMs: 5000, offMs: 10000 }, true);
    press(2500);
    const longAt = DEBOUNCE_MS + LONG_PRESS_MS;
    assert.deepEqual(actions, ["drop for good"]);
    clock.advance(longAt + 10000 - clock.nowMs);
    assert.deepEqual(actions, ["drop for good", `restart at ${longAt + 10000}`]);
    assert.ok(lines.some((l) => l.endsWith("I button: power is back: restarting")));
  });

  it("without a restart, a long press drops Wi-Fi for offMs and the link rejoins", () => {
    const { actions, press } = setUp({ dropMs: 5000, offMs: 10000 }, false);
    press(2500);
    assert.deepEqual(actions, ["drop 10000"]);
  });

  it("a press whose time is 0 does nothing; with both 0 the pin is not opened", () => {
    const { actions, press } = setUp({ dropMs: 0, offMs: 10000 }, false);
    press(200);
    assert.deepEqual(actions, []);
    const off = setUp({ dropMs: 0, offMs: 0 }, false);
    assert.equal(off.close, undefined);
    assert.equal(off.button.opened(), 0);
  });

  it("logs one warning and runs on when the pin cannot be opened", () => {
    const clock = new FakeClock();
    const { log, lines } = captureLog(clock.clock);
    class Busy {
      static readonly InputPullUp = 1;
      static readonly Rising = 1;
      static readonly Falling = 2;
      constructor() {
        throw new Error("in use");
      }
      read(): number {
        return 1;
      }
      close(): void {}
    }
    const close = startBootButton(Busy, { dropMs: 1000, offMs: 1000 }, { clock: clock.clock, timers: clock.timers, log: log.tag("button") }, { dropWifi: () => {}, restart: undefined });
    assert.equal(close, undefined);
    assert.deepEqual(lines, ['     0 W button: cannot open the BOOT button, button off pin=0 error="Error: in use"']);
  });

  it("close() closes the pin and cancels a press in progress", () => {
    const { clock, button, actions, close } = setUp({ dropMs: 1000, offMs: 1000 }, false);
    button.set(0);
    clock.advance(100);
    close!();
    clock.advance(5000);
    assert.deepEqual(actions, []);
    assert.equal(button.closed(), 1);
  });
});

describe("linklab/link drop (the button's way to leave Wi-Fi)", () => {
  class FakeWifi implements Wifi {
    stations: { callback: (m: WifiMessage) => void; options: unknown }[] = [];
    disconnects = 0;
    connect(options: { ssid: string } | undefined, callback: (m: WifiMessage) => void): WifiStation {
      this.stations.push({ callback, options });
      return { close: () => {} };
    }
    monitor(callback: (m: WifiMessage) => void): WifiStation {
      return this.connect(undefined, callback);
    }
    disconnect(): void {
      this.disconnects++;
      this.stations.at(-1)?.callback("disconnect");
    }
  }

  function joined(ssid = "lab") {
    const clock = new FakeClock();
    const { log, lines } = captureLog(clock.clock);
    const wifi = new FakeWifi();
    const link = new Link({ ssid, password: "" }, { wifi, getAddress: () => "10.0.0.5", timers: clock.timers, clock: clock.clock, log: log.tag("wifi"), random: () => 0.5 });
    const events: string[] = [];
    link.onChange((e) => events.push(e.up ? "up" : `down ${e.reason}`));
    link.start();
    return { clock, lines, wifi, link, events };
  }

  it("disconnects like a real drop and rejoins only after forMs", () => {
    const { clock, wifi, link, events } = joined();
    link.drop(4000);
    assert.equal(wifi.disconnects, 1);
    assert.deepEqual(events, ["up", "down wifi-disconnect"]);
    clock.advance(3999);
    assert.equal(wifi.stations.length, 1, "no join attempt before forMs");
    clock.advance(1);
    assert.equal(wifi.stations.length, 2, "joins again");
    assert.deepEqual(wifi.stations[1].options, { ssid: "lab", password: undefined });
  });

  it("with no forMs it stays down (the board is about to restart)", () => {
    const { clock, wifi, link } = joined();
    link.drop();
    clock.advance(600000);
    assert.equal(wifi.stations.length, 1);
    assert.equal(link.state, "down");
  });

  it("without an ssid to rejoin it refuses, in one warning", () => {
    const { wifi, link, lines } = joined("");
    link.drop(1000);
    assert.equal(wifi.disconnects, 0);
    assert.ok(lines.some((l) => /W wifi: cannot leave the access point reason="no ssid to rejoin"$/.test(l)), lines.join("\n"));
  });
});
