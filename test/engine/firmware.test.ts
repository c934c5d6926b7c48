// The scenario library run with the real firmware (main.ts): the default scenario that `npm start` shows, a power
// cut that only the heartbeat can detect, and a router reboot after which nothing stale is left. The three run at
// once; a lab already running on a network makes the next one move to a free 127.0.Y block.
import assert from "node:assert/strict";
import { join } from "node:path";
import { scenariosDir } from "../../host-sim/lab/cli.ts";
import { runLab, type LabResult } from "../../host-sim/lab/lab.ts";
import { loadScenario } from "../../host-sim/lab/scenario.ts";
import { assertPassed, labTime, linesOf } from "./support.ts";

describe("the scenario library on the firmware", function () {
  this.timeout(240_000);
  const runs = new Map<string, Promise<LabResult>>();
  const run = (name: string): Promise<LabResult> => runs.get(name)!;

  before(() => {
    for (const name of ["default", "power-off", "router-reboot"]) {
      const result = runLab(loadScenario(join(scenariosDir, `${name}.lab`)), { seed: 11 });
      result.catch(() => {}); // reported by the test that awaits it
      runs.set(name, result);
    }
  });
  after(async () => {
    await Promise.allSettled(runs.values());
  });

  it("meets every expectation of the default scenario (npm start)", async () => {
    const result = await run("default");
    assertPassed(result);
    const c1 = result.summary.boards.find((b) => b.id === "c1")!;
    assert.ok(c1.messages.sent > 10 && c1.messages.echoed > 10, `c1 ECHO accounting: ${JSON.stringify(c1.messages)}`);
  });

  it("power-off: each client's socket stays open and silent until its heartbeat declares the server dead", async () => {
    const result = await run("power-off");
    assertPassed(result);
    const off = labTime(result, "power-off");
    for (const client of ["c1", "c2"]) {
      const lost = result.events.find((e) => e.board === client && e.name === "lost" && e.t >= off);
      assert.ok(lost, `${client} declared the link lost`);
      assert.equal(lost.fields?.reason, "silent", `${client} lost it by silence`);
      assert.ok(Number(lost.fields?.silentMs) >= 3000, `${client} waited timeoutMs (3000) of silence: ${lost.fields?.silentMs}`);
      const closed = result.events.filter((e) => e.board === client && e.name === "peer-closed" && e.t >= off && e.t <= lost.t);
      assert.deepEqual(closed, [], `${client} saw no FIN or RST before its verdict`);
    }
  });

  it("router reboot: every board comes back at a new address and no session from an old one is left", async () => {
    const result = await run("router-reboot");
    assertPassed(result);
    for (const board of result.boards) assert.equal(board.addresses.length, 2, `${board.id} got a new address: ${board.addresses.join(" > ")}`);
    const restore = labTime(result, "router-restore");
    const [server, c1, c2] = result.boards;
    const old = [c1.addresses[0], c2.addresses[0]];
    const handshakes = linesOf(result, "server", "handshake done", restore);
    assert.ok(handshakes.length >= 2, "both clients handshook again");
    for (const line of handshakes) assert.ok(!old.some((a) => line.line?.fields.peer?.startsWith(a + ":")), `a session from an old address: ${line.text}`);
    const connected = linesOf(result, "c1", "connected (SYN/ACK received", restore).map((e) => e.line?.fields.server);
    assert.ok(connected.length > 0 && connected.every((s) => s === `${server.addresses[1]}:8420`), `c1 reached only the server's new address: ${connected.join(" ")}`);
  });
});
