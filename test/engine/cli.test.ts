// `linklab lab` as a person runs it: a broken scenario is refused with file:line and exit 2; a run prints each
// board's lines with its id (plain text when piped), then the summary; --json writes it; a failed expectation
// makes the exit status 1.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Summary } from "../../host-sim/lab/summary.ts";
import { linklab, type Child } from "../support/child.ts";
import { labTestDir } from "./support.ts";

describe("linklab lab", function () {
  this.timeout(60_000);
  let dir: string;
  let child: Child | undefined;
  const fixture = join(labTestDir, "fixtures", "peer");

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "linklab-lab-"));
  });
  afterEach(() => {
    child?.stop();
    child = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a scenario with a mistake, naming the file and line, with exit status 2", async () => {
    const file = join(dir, "bad.lab");
    writeFileSync(file, `app ${fixture}\nduration 2s\nboard L role=listen\nat 1s wifi-drop M 1\n`);
    child = linklab(["lab", file]);
    assert.deepEqual(await child.waitForExit(), { code: 2, signal: null });
    assert.match(child.stderr[0], new RegExp(`^linklab lab: ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:4: unknown board 'M'`));
    assert.deepEqual(child.stdout.filter(Boolean), []);
  });

  it("refuses a scenario name that does not exist", async () => {
    child = linklab(["lab", "no-such-scenario"]);
    assert.deepEqual(await child.waitForExit(), { code: 2, signal: null });
    assert.match(child.stderr[0], /no scenario 'no-such-scenario'/);
  });

  it("lists the scenario library with each scenario's title", async () => {
    child = linklab(["lab", "--list"]);
    assert.deepEqual(await child.waitForExit(), { code: 0, signal: null });
    const names = child.stdout.filter(Boolean).map((line) => line.split(" ")[0]);
    for (const fault of ["default", "wifi-drop", "router-reboot", "power-off", "crash", "reboot", "idle-firewall", "partition", "latency", "udp-loss", "reset"])
      assert.ok(names.includes(fault), `${fault} is listed`);
    assert.match(child.stdout.join("\n"), /^default +linklab: one server, two clients/m);
  });

  it("prints each board's serial lines after its id, then the summary, and writes it as JSON", async () => {
    const file = join(dir, "ok.lab");
    const json = join(dir, "summary.json");
    writeFileSync(file, `title Two peers\napp ${fixture}\nnetwork 127.0.21.2\nduration 1.5s\nboard L role=listen\nboard C role=connect target=@L\nexpect C log "echo" between 0s and 1.5s\n`);
    child = linklab(["lab", file, "--json", json]);
    assert.deepEqual(await child.waitForExit(30_000), { code: 0, signal: null }, child.stderr.join("\n"));
    const out = child.stdout.join("\n");
    assert.match(out, /^\s+boot L\s+\|\s+\d+ I peer: boot role=listen$/m, "boot lines carry the board id");
    assert.match(out, /^\s+[\d.]+ C\s+\|\s+\d+ I peer: echo bytes=5/m, "lines of the timeline carry lab time and board id");
    assert.match(out, /^\s+0\.0 lab \* lab clock starts \(all 2 boards booted in [\d.]+s\): L=127\.0\.21\.2 C=127\.0\.21\.3$/m);
    assert.ok(!out.includes("\x1b["), "no colour codes when piped");
    assert.match(out, /== Two peers ==/);
    assert.match(out, /PASS {2}C log "echo" between 0s and 1\.5s/);
    const summary = JSON.parse(readFileSync(json, "utf8")) as Summary;
    assert.equal(summary.passed, true);
    assert.deepEqual(summary.boards.map((b: { id: string; addresses: string[] }) => [b.id, b.addresses]), [
      ["L", ["127.0.21.2"]],
      ["C", ["127.0.21.3"]],
    ]);
  });

  it("fails the run when a board's process ends by itself (an XS abort), and says which", async () => {
    const file = join(dir, "abort.lab");
    writeFileSync(file, `app ${fixture}\nnetwork 127.0.23.2\nduration 1.5s\nboard X role=abort tickMs=300\nboard L role=listen\n`);
    child = linklab(["lab", file]);
    assert.deepEqual(await child.waitForExit(30_000), { code: 1, signal: null });
    const out = child.stdout.join("\n");
    assert.match(out, /X +! XS abort: unhandled exception/, "the board's stderr is shown, marked !");
    assert.match(out, /X: the process ended by itself at -?[\d.]+s \(code 1\)/);
    assert.match(out, /failed: X ended by itself/);
  });

  it("exits 1 when an expectation fails, and says which", async () => {
    const file = join(dir, "fail.lab");
    writeFileSync(file, `app ${fixture}\nnetwork 127.0.22.2\nduration 1s\nboard L role=listen\nexpect L peer-closed between 0s and 1s\n`);
    child = linklab(["lab", file]);
    assert.deepEqual(await child.waitForExit(30_000), { code: 1, signal: null });
    assert.match(child.stdout.join("\n"), /FAIL {2}L peer-closed between 0s and 1s {2}-> no peer-closed on L between 0\.00s and 1\.00s/);
    assert.match(child.stdout.join("\n"), /1 of 1 expectations failed/);
  });
});
