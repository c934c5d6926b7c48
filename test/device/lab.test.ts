// The device suite, lab part: boards with engine=moddable in a lab scenario are this firmware built by the user's
// Moddable SDK for lin (each with its own config compiled in) and run on mcsim, real XS, next to host-simulator
// boards. A real-XS server serves two host clients through a power cut and a crash; a real-XS client follows a
// host server through a reboot. Without an SDK or a display, skipped (one line). The refusals: test/engine/engine.test.ts.
import assert from "node:assert/strict";
import type { LabResult } from "../../host-sim/lab/lab.ts";
import { assertPassed, runInline } from "../engine/support.ts";
import { freePort, requireSdk } from "./support.ts";

/** The lab line that starts the clock names each board's engine. */
function startLine(result: LabResult): string {
  return result.events.find((e) => e.board === "lab" && e.name === "start")?.text ?? "";
}

describe("device: lab boards on Moddable's runtime (engine=moddable)", function () {
  // A build of the firmware takes about 40 s the first time (then seconds), before the boards start.
  this.timeout(240_000);
  before(function () {
    requireSdk(this);
  });

  it("a real-XS server: two host clients come online, lose it by silence at a power cut and at a crash, and come back", async () => {
    // mcsim binds its port on every address: a free one, so that no other lab or test collides with it.
    const port = await freePort();
    const result = await runInline(
      "moddable-server",
      `title A server on real XS
network 127.0.31.2
duration 18s
board server role=server engine=moddable port=${port} beaconMs=0
board c1 role=client server=@server port=${port} echoMs=1000 backoffMaxMs=2000
board c2 role=client server=@server port=${port} echoMs=0 backoffMaxMs=2000
at 3s power-off server 5
at 13s crash server
expect c1 online by 3s
expect c2 online by 3s
expect server handshake c1
expect server handshake c2
expect c1 no peer-closed within 4s of power-off server
expect c1 lost within 4s of power-off server
expect c2 lost within 4s of power-off server
expect c1 online within 5s of boot server
expect c2 online within 5s of boot server
expect c1 no peer-closed within 3.9s of crash server
expect c1 lost within 4s of crash server
expect c2 lost within 4s of crash server
`,
    );
    assertPassed(result);
    assert.match(startLine(result), /server=127\.0\.31\.2 \(engine=moddable\) c1=127\.0\.31\.3 c2=127\.0\.31\.4$/);
    const server = result.boards.find((b) => b.id === "server")!;
    assert.equal(server.boots, 2, "the power-on started a second mcsim from the same image");
    // Real XS: Time.ticks on lin is the wall clock, so the server's log times are far beyond the run's length.
    const first = result.events.find((e) => e.board === "server" && e.line)!;
    assert.ok(first.line!.boardMs > 1e12, `a wall-clock tick on lin: ${first.text}`);
    assert.deepEqual(result.events.filter((e) => e.name === "exit" && e.args[0] === "by-itself"), [], "no board ended by itself (no XS abort)");
  });

  it("a real-XS client: it finds a host server by its address and comes back after the server reboots", async () => {
    const port = await freePort();
    const result = await runInline(
      "moddable-client",
      `title A client on real XS
network 127.0.32.2
duration 10s
board server role=server port=${port} beaconMs=0
board m role=client engine=moddable server=@server port=${port} echoMs=1000 backoffMaxMs=2000
at 3s reboot server 1
expect m online by 3s
expect server handshake m
expect m no lost within 0.9s of reboot server
expect m lost within 2.5s of reboot server
expect m online within 4s of boot server
`,
    );
    assertPassed(result);
    const echoes = result.events.filter((e) => e.board === "m" && e.name === "line" && (e.text ?? "").includes("echo reply"));
    assert.ok(echoes.length >= 3, `the real-XS client's ECHOs came back: ${echoes.length}`);
  });

  it("an XS abort ends a real-XS board (mcsim would sit there dead): the run fails and says the board ended by itself", async () => {
    // The lab tests' fixture app (plain ECMA-419 JavaScript): role=abort throws from a timer after tickMs.
    const result = await runInline(
      "moddable-abort",
      `app fixtures/peer
network 127.0.33.2
duration 3s
board X role=abort tickMs=300 engine=moddable
board L role=listen
expect L boot
`,
    );
    assert.equal(result.passed, false);
    const x = result.summary.boards.find((b) => b.id === "X")!;
    assert.deepEqual(x.diedAtMs.map((d) => d.how), ["XS abort"], JSON.stringify(result.events.filter((e) => e.board === "X")));
  });
});
