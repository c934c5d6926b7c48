// `engine=moddable` on a board line, without an SDK: the word is the lab's, not the firmware's; faults that are made
// inside the host runtime (and so cannot reach Moddable's runtime) are refused with file:line, and so is what lin
// cannot do (UDP broadcast behind server=auto, a port shared with another listener). Running such boards:
// test/device/lab.test.ts.
import assert from "node:assert/strict";
import { join } from "node:path";
import { LabError, runLab } from "../../host-sim/lab/lab.ts";
import { parseScenario, ScenarioError } from "../../host-sim/lab/scenario.ts";
import { labTestDir } from "./support.ts";

const boards = `duration 20s
board server role=server engine=moddable
board c1 role=client server=@server
board c2 role=client server=@server
`;

function refused(text: string, pattern: RegExp): void {
  assert.throws(() => parseScenario(text, "x.lab"), (error: unknown) => {
    assert.ok(error instanceof ScenarioError, String(error));
    assert.match(error.message, pattern);
    return true;
  });
}

/** Refused by the lab's checks against the app's manifest, before any SDK is looked for or any board starts. */
async function refusedByLab(text: string, pattern: RegExp): Promise<void> {
  const scenario = parseScenario(text, join(labTestDir, "engine.lab"));
  await assert.rejects(runLab(scenario), (error: unknown) => {
    assert.ok(error instanceof ScenarioError, String(error));
    assert.match(error.message, pattern);
    return true;
  });
}

describe("lab boards on Moddable's runtime (engine=moddable): what is refused", () => {
  it("takes engine as a word of the board line, not a config key of the firmware (default: host)", () => {
    const s = parseScenario(boards, "x.lab");
    assert.deepEqual(
      s.boards.map((b) => [b.id, b.engine, b.config]),
      [
        ["server", "moddable", { role: "server" }],
        ["c1", "host", { role: "client", server: "@server" }],
        ["c2", "host", { role: "client", server: "@server" }],
      ],
    );
    assert.equal(parseScenario("duration 1s\nboard a engine=host\n", "x.lab").boards[0].engine, "host");
  });

  it("refuses an unknown engine, naming the file and line", () => {
    refused("duration 5s\nboard a role=server engine=banana\n", /^x\.lab:2: engine=banana: expected engine=host .* or engine=moddable/);
  });

  it("refuses a fault on a moddable board that only the host runtime can make (wifi-drop, partition, reset, heal)", () => {
    const why = /\(engine=moddable\): the faults made inside the host runtime cannot reach Moddable's runtime; process faults can \(power-off, power-on, crash, reboot\)$/;
    refused(boards + "at 2s wifi-drop server 2\n", /^x\.lab:5: wifi-drop cannot reach board server /);
    refused(boards + "at 2s wifi-drop server 2\n", why);
    refused(boards + "at 2s partition c1 server\n", /^x\.lab:5: partition cannot reach board server \(engine=moddable\)/);
    refused(boards + "at 2s reset server c2\n", /^x\.lab:5: reset cannot reach board server \(engine=moddable\)/);
    refused(boards + "at 2s heal server c1\n", /^x\.lab:5: heal cannot reach board server \(engine=moddable\)/);
  });

  it("refuses a network-wide fault when any board is on Moddable's runtime (latency, udp-loss, idle-firewall, router-reboot)", () => {
    refused(boards + "at 1s crash c1\nat 2s latency 50\n", /^x\.lab:6: latency cannot reach board server \(engine=moddable\)/);
    refused(boards + "at 2s udp-loss 10%\n", /^x\.lab:5: udp-loss cannot reach board server/);
    refused(boards + "at 2s idle-firewall 3\n", /^x\.lab:5: idle-firewall cannot reach board server/);
    refused(boards + "at 2s router-reboot 3\n", /^x\.lab:5: router-reboot cannot reach board server/);
  });

  it("accepts process faults on a moddable board, and host-runtime faults between host boards", () => {
    const s = parseScenario(
      boards + "at 1s power-off server 2\nat 4s crash server\nat 5s reboot server 1\nat 8s power-off server\nat 9s power-on server\nat 10s partition c1 c2\nat 11s heal\nat 12s wifi-drop c1 1\nat 13s reset c1 c2\n",
      "x.lab",
    );
    assert.equal(s.timeline.length, 9);
  });

  it("refuses server=auto with a moddable server (lin refuses UDP broadcast, so no beacon arrives)", async () => {
    await refusedByLab(
      "duration 5s\nboard server role=server engine=moddable\nboard c1 role=client server=@server\nboard c2 role=client server=auto\n",
      /engine\.lab:4: board c2 has server=auto, but server server has engine=moddable and lin refuses UDP broadcast.*server=@server$/,
    );
    // server=auto is the manifest's default: a client that does not name its server is refused too.
    await refusedByLab("duration 5s\nboard s role=server engine=moddable\nboard c1 role=client\n", /engine\.lab:3: board c1 has server=auto \(the default\), but server s has engine=moddable/);
  });

  it("refuses a moddable client with server=auto (said, or the default, also with role=both)", async () => {
    await refusedByLab(
      "duration 5s\nboard s role=server\nboard m role=client server=auto engine=moddable\n",
      /engine\.lab:3: board m \(engine=moddable\) has server=auto: it would find its server by UDP broadcast beacons, and lin refuses broadcast/,
    );
    await refusedByLab("duration 5s\nboard m engine=moddable\n", /engine\.lab:2: board m \(engine=moddable\) has server=auto \(the default\)/);
  });

  it("refuses a port that a moddable server would share with another listening board (mcsim binds every address)", async () => {
    await refusedByLab(
      "duration 5s\nboard a role=server engine=moddable\nboard b role=server engine=moddable\nboard c role=client server=@a\n",
      /engine\.lab:3: boards a and b both listen on port 8420, and a \(engine=moddable\) takes it on every address/,
    );
    await refusedByLab(
      "duration 5s\nboard h role=server port=8500\nboard m role=both engine=moddable port=8500 server=@h\n",
      /engine\.lab:3: boards m and h both listen on port 8500/,
    );
    await refusedByLab("duration 5s\nboard m role=server engine=moddable port=8419\n", /engine\.lab:2: board m \(engine=moddable\) listens on port 8419, which the lab itself holds/);
  });

  it("says in one line, pointing at the board, when there is no Moddable SDK", async () => {
    const saved = process.env.MODDABLE;
    process.env.MODDABLE = join(labTestDir, "no-such-sdk");
    try {
      const scenario = parseScenario("duration 5s\nboard s role=server engine=moddable port=8501\nboard c role=client server=@s port=8501\n", join(labTestDir, "engine.lab"));
      await assert.rejects(runLab(scenario), (error: unknown) => {
        assert.ok(error instanceof LabError, String(error));
        assert.match(error.message, /engine\.lab:2: board s has engine=moddable, which needs the Moddable SDK: no Moddable SDK at \$MODDABLE \(.*no-such-sdk\)/);
        return true;
      });
    } finally {
      if (saved === undefined) delete process.env.MODDABLE;
      else process.env.MODDABLE = saved;
    }
  });
});
