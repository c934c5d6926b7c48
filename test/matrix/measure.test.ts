// The matrix's measurements (test/matrix/matrix.ts) on hand-made runs, no processes: expectations sorted into
// verdict / recovery / guard with their bounds, heartbeat silences with the check period in force, and the ECHO
// accounting that must catch a message vanishing between being made and being sent.
import assert from "node:assert/strict";
import { classify, parseLogLine, type LabEvent } from "../../host-sim/lab/events.ts";
import { judge } from "../../host-sim/lab/expect.ts";
import type { LabResult } from "../../host-sim/lab/lab.ts";
import { parseScenario } from "../../host-sim/lab/scenario.ts";
import { summarize } from "../../host-sim/lab/summary.ts";
import { faultAndRole, kindOf, markdownTable, measure } from "./matrix.ts";

const scenario = parseScenario(
  `duration 10s
board server role=server heartbeatMs=300 timeoutMs=900
board c1 role=client heartbeatMs=300 timeoutMs=900
at 2s power-off server
# verdict: silence
expect c1 lost within 1.075s of power-off server
# recovery: none here
expect c1 no online within 3s of power-off server
`,
  "power-off-server.lab",
);

const peers = (value: string | undefined): string | undefined => (value === "c1" ? "c1" : undefined);
const at = (t: number, board: string, text: string): LabEvent[] => {
  const line = parseLogLine(text)!;
  return [{ t, board, name: "line", args: [], text, line }, ...classify(line, peers).map((e) => ({ t, board, ...e, line, fields: line.fields }))];
};

/** A run of the scenario above whose c1 printed `echoLines` while online. */
function run(echoLines: string[]): LabResult {
  const events: LabEvent[] = [
    { t: -200, board: "server", name: "boot", args: [] },
    { t: -100, board: "c1", name: "boot", args: [] },
    { t: 0, board: "lab", name: "start", args: [], text: "start" },
    ...at(100, "c1", "   400 I tcp.client: state handshaking->online reason=welcome"),
    ...echoLines.flatMap((text, i) => at(500 + i * 100, "c1", text)),
    { t: 2000, board: "lab", name: "power-off", args: ["server"], text: "power-off" },
    ...at(2950, "c1", "  3250 W tcp.client: server silent, link lost silentMs=930 timeoutMs=900"),
    ...at(2950, "c1", "  3250 I tcp.client: state online->lost reason=silent silentMs=930"),
    { t: 10_000, board: "lab", name: "end", args: [], text: "end" },
  ];
  const boards = [
    { id: "server", index: 0, config: scenario.boards[0].config, role: "server", addresses: ["127.0.0.2"], boots: 1 },
    { id: "c1", index: 1, config: scenario.boards[1].config, role: "client", addresses: ["127.0.0.3"], boots: 1 },
  ];
  const expectations = scenario.expectations.map((e) => judge(e, events, scenario));
  const summary = summarize(scenario, boards, events, expectations);
  return { scenario, boards, events, expectations, summary, passed: summary.passed };
}

const reply = (seq: number, n: number): string => `  900 D tcp.client: echo reply seq=${seq} rttMs=2 text="from=c1 n=${n}"`;

describe("the fault matrix's measurements", () => {
  it("names each scenario's fault and role from its file name, and refuses any other name", () => {
    assert.deepEqual(faultAndRole("/x/idle-firewall-all.lab"), { fault: "idle-firewall", role: "all" });
    assert.deepEqual(faultAndRole("wifi-drop-both.lab"), { fault: "wifi-drop", role: "both" });
    assert.throws(() => faultAndRole("power-off.lab"), /<fault>-<server\|client\|both\|all>\.lab/);
  });

  it("sorts expectations by the comment above them and keeps each bound and measured delay", () => {
    assert.equal(kindOf("verdict: silence"), "verdict");
    assert.equal(kindOf("recovery: after boot"), "recovery");
    assert.equal(kindOf("bystander"), "guard");
    assert.equal(kindOf(undefined), "guard");
    const row = measure("power-off-server.lab", run([reply(0, 1)]));
    assert.equal(row.passed, true);
    const verdict = row.measured.find((m) => m.kind === "verdict")!;
    assert.deepEqual([verdict.board, verdict.event, verdict.boundMs, verdict.delaysMs], ["c1", "lost", 1075, [950]]);
    assert.equal(row.measured.find((m) => m.negated)?.kind, "recovery");
  });

  it("reads the silence of each heartbeat verdict with the check period of the timings in force", () => {
    const row = measure("power-off-server.lab", run([]));
    assert.deepEqual(row.silences, [{ board: "c1", silentMs: 930, timeoutMs: 900, checkMs: 75 }]);
  });

  it("accounts every ECHO of a clean run: sent = echoed + counted lost, nothing unaccounted", () => {
    const row = measure("power-off-server.lab", run([reply(0, 1), reply(1, 2), "  1200 W tcp.client: echo replies lost with the connection count=1 lostTotal=1"]));
    assert.deepEqual(row.echo, [{ board: "c1", sent: 3, echoed: 2, lost: 1, dropped: 0, unaccounted: 0, gaps: [], undisturbed: false }]);
  });

  it("finds a message that vanished between being made and being sent (its number skips with no refusal logged)", () => {
    const row = measure("power-off-server.lab", run([reply(0, 1), reply(1, 3)]));
    assert.deepEqual(row.echo[0].gaps, ["seq 1 carries n=3 with 0 refused so far"]);
  });

  it("accepts a skipped number that a full outbox refused and logged", () => {
    const row = measure("power-off-server.lab", run([reply(0, 1), "  1000 W tcp.client: outbox full, message dropped outboxMax=16 dropped=1 state=waiting", reply(1, 3)]));
    assert.deepEqual(row.echo[0].gaps, []);
    assert.equal(row.echo[0].dropped, 1);
  });

  it("counts an unanswered ECHO below the highest reply as unaccounted", () => {
    const row = measure("power-off-server.lab", run([reply(0, 1), reply(2, 3)]));
    assert.equal(row.echo[0].unaccounted, 1);
  });

  it("renders one table line per scenario with the worst delay over the runs", () => {
    const fast = measure("power-off-server.lab", run([reply(0, 1)]));
    const slow = structuredClone(fast);
    slow.measured[0].delaysMs = [1010];
    const table = markdownTable([[fast], [slow]]);
    assert.match(table, /\| power-off \| server \| c1 lost ≤ 1\.075 of power-off server: \*\*1\.01\*\* \| 930-930 ms \(2; limit 900\+75\) \|/);
    assert.match(table, /\| 2\/2 \|\n$/);
  });
});
