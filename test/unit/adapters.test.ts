// linklab/adapters: Moddable's Timer, WiFi and Net in the roles' shapes, as main.ts and the host harness build them.
import assert from "node:assert/strict";
import { addressFrom, boardIdFrom, timersFrom, wifiFrom, type NetModule } from "linklab/adapters";

describe("adapters", () => {
  it("sets a one-shot with two arguments and a repeat with three (Moddable treats a present repeat as a repeat)", () => {
    const calls: unknown[][] = [];
    const timers = timersFrom({ set: (...args: unknown[]) => (calls.push(args), calls.length), clear: () => {} });
    timers.set(() => {}, 50);
    timers.set(() => {}, 10, 20);
    assert.deepEqual(calls.map((c) => c.length), [2, 3]);
    assert.deepEqual(calls[1].slice(1), [10, 20]);
  });

  it("runs every callback through wrap, and clears only a timer that exists", () => {
    let callback: (() => void) | undefined;
    const cleared: unknown[] = [];
    const wrapped: string[] = [];
    const timers = timersFrom(
      { set: (cb: () => void) => ((callback = cb), 7), clear: (id: number) => cleared.push(id) },
      (cb) => () => {
        wrapped.push("before");
        cb();
      },
    );
    let ran = 0;
    const id = timers.set(() => ran++, 5);
    callback!();
    assert.equal(ran, 1);
    assert.deepEqual(wrapped, ["before"]);
    timers.clear(undefined);
    timers.clear(id);
    assert.deepEqual(cleared, [7]);
  });

  it("connects and monitors Wi-Fi through the WiFi class", () => {
    const made: unknown[] = [];
    class FakeWiFi {
      constructor(options: unknown) {
        made.push(options);
      }
      close(): void {}
    }
    const wifi = wifiFrom(FakeWiFi);
    wifi.connect({ ssid: "lab" }, () => {});
    wifi.monitor!(() => {});
    assert.deepEqual(made, [{ ssid: "lab" }, undefined]);
  });

  it("reads the address, undefined when Net throws", () => {
    assert.equal(addressFrom({ get: () => "127.0.0.2" })(), "127.0.0.2");
    assert.equal(addressFrom({ get: () => { throw new Error("no"); } })(), undefined);
  });

  it("names the board: configured id, else the MAC's last six hex digits, else its address", () => {
    const net = (values: Partial<Record<"IP" | "MAC", string>>): NetModule => ({ get: (p) => values[p] });
    assert.equal(boardIdFrom("s1", net({ MAC: "aa:bb:cc:dd:ee:ff" })), "s1");
    assert.equal(boardIdFrom("", net({ MAC: "AA:BB:CC:DD:EE:FF", IP: "127.0.0.2" })), "ll-ddeeff");
    assert.equal(boardIdFrom("", net({ IP: "127.0.0.2" })), "ll-127-0-0-2");
    assert.equal(boardIdFrom("", net({})), "ll-0-0-0-0");
  });
});
