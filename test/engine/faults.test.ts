// Each lab fault, proven by what the peers' sockets see. The boards run test/engine/fixtures/peer: a listener that
// echoes and a client that writes a tick every tickMs and logs every echo, close and error, so what is asserted is
// the raw ECMA-419 view of the fault, not the firmware's interpretation of it.
// The scenarios run five at a time (each on its own 127.0.Y network) as soon as the suite starts; each test
// awaits its own run, so the suite takes about as long as its two longest runs.
import assert from "node:assert/strict";
import type { LabResult } from "../../host-sim/lab/lab.ts";
import { limiter } from "../support/limit.ts";
import { assertPassed, linesOf, runInline } from "./support.ts";

const pair = (network: string, duration: string, tickMs = 100): string => `app fixtures/peer
network ${network}
duration ${duration}
board L role=listen
board C role=connect target=@L tickMs=${tickMs}
`;

const scenarios: Record<string, string> = {
  "power-off":
    pair("127.0.11.2", "4.5s") +
    `at 1.5s power-off L
expect C log "echo" between 0.5s and 1.5s
expect C no peer-closed within 2.8s of power-off L
expect C no log "echo" between 1.8s and 4.3s
`,
  "power-cycle":
    pair("127.0.12.2", "18s") +
    `at 1s power-off L 1.5
expect C no peer-closed within 1.4s of power-off L
`,
  crash:
    pair("127.0.13.2", "3.5s") +
    `at 1s crash L
expect C no peer-closed within 2.4s of crash L
expect C no log "echo" between 1.3s and 3.5s
expect L no exit within 2.4s of crash L
`,
  reboot:
    pair("127.0.14.2", "18s") +
    `at 1s reboot L 0.5
expect C no peer-closed within 0.45s of reboot L
expect C peer-closed within 1.5s of reboot L
`,
  // The firmware itself (no app line): the lab holds GPIO 0, the firmware's linklab/button acts.
  button: `network 127.0.21.2
duration 9s
board server role=server beaconMs=0
board c1 role=client server=@server echoMs=500 ssid=lab buttonDropS=2
board c2 role=client server=@server echoMs=500 ssid=lab buttonOffS=2
at 1s button c1 short
at 1s button c2 long
expect c1 log "short press: dropping Wi-Fi" within 0.5s of button c1
expect c1 lost within 0.5s of button c1
expect c1 no online within 1.8s of button c1
expect c1 online within 4s of button c1
expect c2 no log "short press" between 0s and 9s
expect c2 log "long press: power cut" within 2.5s of button c2
expect c2 lost within 2.5s of button c2
expect c2 online within 6s of button c2
# While c1 (dropped for 2 s) and c2 (dark from 3 s) are away, the server hears nothing from them; the RSTs for its
# old sessions come only once they are back.
expect server no peer-closed between 0s and 3.1s
`,
  "wifi-drop":
    pair("127.0.15.2", "5s") +
    `at 1s wifi-drop C 1.5
expect C peer-closed within 1s of wifi-drop C
expect L no peer-closed within 1.4s of wifi-drop C
expect L no log "got" between 1.3s and 2.5s
expect L log "accepted" within 2s of wifi-restore C
`,
  "idle-firewall": `app fixtures/peer
network 127.0.16.2
duration 6s
board L role=listen
board quiet role=connect target=@L tickMs=1500
board busy role=connect target=@L tickMs=100
at 0.5s idle-firewall 1
expect quiet no log "echo" between 3s and 6s
expect quiet no peer-closed within 5.5s of idle-firewall
expect busy log "echo" between 5s and 6s
`,
  partition:
    pair("127.0.17.2", "4.5s") +
    `at 1s partition L C
at 2.5s heal
expect C no log "echo" between 1.3s and 2.5s
expect C no peer-closed between 0.5s and 4.5s
expect L no peer-closed between 0.5s and 4.5s
expect C log "echo" within 1s of heal
`,
  latency: pair("127.0.18.2", "3.5s") + 'at 1s latency 150\nexpect C log "echo" between 2s and 3.5s\n',
  "udp-loss": `app fixtures/peer
network 127.0.19.2
duration 4s
board rx role=udp
board tx role=udp target=@rx tickMs=10
at 0s udp-loss 50
expect rx log "udp received" between 1s and 4s
`,
  reset:
    pair("127.0.20.2", "3s") +
    `at 1s reset L C
expect C peer-closed within 1s of reset L C
expect L peer-closed within 1s of reset L C
`,
};

/**
 * L booted a second time (a boot takes a second or several on a busy machine, so it is not timed), and C connected
 * to it within 3 s of that boot and had its ticks echoed again.
 */
function assertBackAfterBoot(result: LabResult): void {
  assert.equal(result.boards[0].boots, 2, "L booted again");
  const boots = result.events.filter((e) => e.board === "L" && e.name === "boot");
  assert.equal(boots.length, 2, "the second boot came before the end of the run");
  const second = boots[1].t;
  const connected = linesOf(result, "C", "connected", second);
  assert.ok(connected.length >= 1 && connected[0].t - second < 3000, `C connected again within 3 s of L's boot: ${connected[0]?.t} vs ${second}`);
  assert.ok(linesOf(result, "C", "echo", connected[0].t).length >= 1, "and its ticks are echoed again");
}

describe("lab faults, as the peers see them", function () {
  this.timeout(180_000);
  const runs = new Map<string, Promise<LabResult>>();
  const run = (name: string): Promise<LabResult> => runs.get(name)!;

  before(() => {
    const limit = limiter(5);
    for (const [name, text] of Object.entries(scenarios)) {
      const result = limit(() => runInline(name, text));
      result.catch(() => {}); // reported by the test that awaits it
      runs.set(name, result);
    }
  });
  after(async () => {
    await Promise.allSettled(runs.values());
  });

  it("power-off: the peer's socket stays open and silent, with no FIN and no RST", async () => {
    const result = await run("power-off");
    assertPassed(result);
    assert.equal(result.boards[0].boots, 1, "a powered-off board is not restarted by itself");
  });

  it("power-off with a time: the board boots again later at the same address, and its peer reconnects", async () => {
    const result = await run("power-cycle");
    assertPassed(result);
    assert.deepEqual(result.boards[0].addresses, ["127.0.12.2"]);
    assertBackAfterBoot(result);
  });

  it("crash: the board stops dead: its peer hears silence, no FIN and no RST, and its process is not ended", async () => {
    const result = await run("crash");
    assertPassed(result);
    assert.deepEqual(linesOf(result, "C", "peer closed", 1000), [], "no close reported to C");
  });

  it("reboot: silence while the board is down, then an RST for the old connection, then it connects again", async () => {
    const result = await run("reboot");
    assertPassed(result);
    assertBackAfterBoot(result);
  });

  it("wifi-drop: the dropped board's traffic stops both ways; its peer sees silence, not a close", async () => {
    const result = await run("wifi-drop");
    assertPassed(result);
    assert.deepEqual(result.boards[1].addresses, ["127.0.15.3"], "the same address after a plain Wi-Fi drop");
  });

  it("idle-firewall: a quiet connection is silently dropped while a busy one keeps flowing", async () => {
    const result = await run("idle-firewall");
    assertPassed(result);
    const quiet = result.boards[1].addresses[0];
    assert.deepEqual(linesOf(result, "L", `peer=${quiet}`, 3000).filter((e) => e.text?.includes(" got ")), [], "no tick of quiet reached L after the firewall forgot it");
  });

  it("partition: traffic between two boards is blackholed without an error, and flows again after heal", async () => {
    assertPassed(await run("partition"));
  });

  it("latency: each round trip grows by twice the one-way delay", async () => {
    const result = await run("latency");
    assertPassed(result);
    const rtt = (from: number, to: number): number[] =>
      linesOf(result, "C", "rttMs=", from, to).map((e) => Number(e.line?.fields.rttMs)).filter((n) => n >= 0);
    const before = rtt(0, 1000);
    const after = rtt(1800, 3500);
    assert.ok(before.length > 3 && after.length > 3, `echoes before (${before.length}) and after (${after.length})`);
    assert.ok(Math.min(...before) < 100, `round trips before: ${before.join(" ")}`);
    assert.ok(Math.min(...after) >= 290, `round trips after a 150 ms one-way latency: ${after.join(" ")}`);
  });

  it("udp-loss: about the given share of datagrams never arrives", async () => {
    const result = await run("udp-loss");
    assertPassed(result);
    const count = (board: string, field: string, at: number): number => {
      const lines = linesOf(result, board, `udp ${field}=`, -Infinity, at);
      return Number(lines.at(-1)?.line?.fields[field] ?? 0);
    };
    const sent = count("tx", "sent", 3900) - count("tx", "sent", 300);
    const received = count("rx", "received", 3900) - count("rx", "received", 300);
    assert.ok(sent > 100, `sent ${sent}`);
    const share = received / sent;
    assert.ok(share > 0.3 && share < 0.7, `received ${received} of ${sent} (${(share * 100).toFixed(0)}%) with 50% loss`);
  });

  it("button: a short press drops the board's Wi-Fi, a long press cuts its power; the server hears only silence while they are away", async () => {
    const result = await run("button");
    assertPassed(result);
    const boots = result.events.filter((e) => e.name === "boot");
    assert.equal(boots.length, 3, "no board booted again (the simulator has no restart: the long press rejoins)");
  });

  it("reset: an injected RST closes the connection at both ends at once", async () => {
    assertPassed(await run("reset"));
  });
});
