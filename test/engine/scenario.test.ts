// The scenario format: what a well-formed file means, and that each kind of mistake is refused with file:line.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { scenariosDir } from "../../host-sim/lab/cli.ts";
import { runLab } from "../../host-sim/lab/lab.ts";
import { loadScenario, parseScenario, ScenarioError } from "../../host-sim/lab/scenario.ts";

const good = `# a comment
title Two boards
note The server is powered off and comes back.
duration 30s
board server role=server heartbeatMs=500
board c1 role=client server=auto   # trailing comment
at 12s power-off server 3
at 5s wifi-drop c1 2
at 20s latency 200 50
at 22s udp-loss 10%
at 24s partition server c1
at 26s heal
# The Wi-Fi drop
expect c1 online within 2s of wifi-restore c1
expect server no offline c1 between 0s and 4s
expect c1 log "state online" within 5s of power-on server
`;

function refused(text: string, pattern: RegExp): void {
  assert.throws(() => parseScenario(text, "x.lab"), (error: unknown) => {
    assert.ok(error instanceof ScenarioError, String(error));
    assert.match(error.message, pattern);
    return true;
  });
}

describe("lab scenario files", () => {
  it("parses boards, a timeline sorted by time and expectations with their windows", () => {
    const s = parseScenario(good, "good.lab");
    assert.equal(s.title, "Two boards");
    assert.equal(s.durationMs, 30_000);
    assert.deepEqual(s.boards.map((b) => [b.id, b.config]), [
      ["server", { role: "server", heartbeatMs: "500" }],
      ["c1", { role: "client", server: "auto" }],
    ]);
    assert.deepEqual(s.timeline.map((t) => [t.atMs, t.fault.kind]), [
      [5000, "wifi-drop"],
      [12000, "power-off"],
      [20000, "latency"],
      [22000, "udp-loss"],
      [24000, "partition"],
      [26000, "heal"],
    ]);
    assert.deepEqual(s.timeline[1].fault, { kind: "power-off", board: "server", durationMs: 3000 });
    assert.deepEqual(s.timeline[2].fault, { kind: "latency", latencyMs: 200, jitterMs: 50 });
    assert.deepEqual(s.expectations[0].window, { kind: "after", withinMs: 2000, anchor: { name: "wifi-restore", args: ["c1"] } });
    assert.equal(s.expectations[1].negated, true);
    assert.deepEqual(s.expectations[1].event, { name: "offline", args: ["c1"] });
    assert.deepEqual(s.expectations[2].event, { name: "log", args: ["state online"] });
    assert.deepEqual(s.expectations.map((e) => e.group), ["The Wi-Fi drop", "The Wi-Fi drop", "The Wi-Fi drop"], "a comment heads the expectations below it");
  });

  it("refuses an unknown keyword, naming the file and line", () => {
    refused("duration 5s\nboard a\nat 1s crash a\nwait 3s\n", /^x\.lab:4: unknown keyword 'wait'/);
  });

  it("refuses a fault on a board that was not declared", () => {
    refused("duration 5s\nboard a\nat 1s crash b\n", /^x\.lab:3: unknown board 'b' \(declared: a\)/);
  });

  it("refuses a fault with the wrong number of arguments, showing its usage", () => {
    refused("duration 5s\nboard a\nat 1s wifi-drop a\n", /^x\.lab:3: usage: at <time> wifi-drop <board> <seconds>/);
  });

  it("refuses a fault timed after the end of the scenario", () => {
    refused("duration 5s\nboard a\nat 6s crash a\n", /^x\.lab:3: at 6s is after the end/);
  });

  it("refuses a bad duration word", () => {
    refused("duration 5s\nboard a\nat soon crash a\n", /^x\.lab:3: at <time>: expected a duration/);
  });

  it("refuses an expectation whose anchor never happens on the timeline", () => {
    refused("duration 5s\nboard a\nboard b\nexpect a online within 2s of wifi-restore b\n", /^x\.lab:4: anchor 'wifi-restore b' never happens/);
  });

  it("refuses an unknown event in an expectation, listing the known ones", () => {
    refused("duration 5s\nboard a\nexpect a happy\n", /^x\.lab:3: unknown event 'happy' \(known: online, lost/);
  });

  it("refuses a scenario without boards or without a duration", () => {
    refused("duration 5s\n", /no boards/);
    refused("board a\n", /no duration/);
  });

  it("refuses a power-on of a board that is not off", () => {
    refused("duration 9s\nboard a\nat 1s power-on a\n", /^x\.lab:3: power-on a: it was not powered off/);
  });

  it("refuses an unterminated quote", () => {
    refused('duration 9s\nboard a\nexpect a log "oops\n', /^x\.lab:3: unterminated/);
  });

  it("refuses a config key the app's manifest does not declare, before any board starts", async () => {
    const scenario = parseScenario("app fixtures/peer\nduration 1s\nboard a role=listen\nboard b colour=red\n", join(import.meta.dirname, "inline.lab"));
    await assert.rejects(runLab(scenario), /inline\.lab:4: unknown config key 'colour'/);
  });

  it("parses every scenario in the library", () => {
    const files = readdirSync(scenariosDir).filter((f) => f.endsWith(".lab"));
    assert.ok(files.includes("default.lab"), "default.lab exists");
    for (const file of files) {
      const scenario = loadScenario(join(scenariosDir, file));
      assert.ok(scenario.title, `${file} has a title`);
      assert.ok(scenario.expectations.length > 0, `${file} has expectations`);
    }
  });
});
