// Expectations and the summary, judged from hand-made timed events (no processes): windows, anchors that happen
// more than once, negated expectations, log lines turned into events, outages and ECHO accounting.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoDir } from "../../host-sim/lab/lab.ts";
import { classify, parseLogLine, type LabEvent } from "../../host-sim/lab/events.ts";
import { judge } from "../../host-sim/lab/expect.ts";
import { parseScenario } from "../../host-sim/lab/scenario.ts";
import { formatSummary, summarize } from "../../host-sim/lab/summary.ts";

const scenarioText = `duration 20s
board server role=server
board c1 role=client
at 5s wifi-drop c1 2
at 10s power-off server 3
expect c1 online within 1s of wifi-restore c1
expect c1 no lost within 3s of wifi-restore c1
expect c1 lost between 10s and 14s
expect server no offline c1 between 0s and 6s
expect c1 online within 1s of boot c1
`;
const scenario = parseScenario(scenarioText, "judge.lab");
const peers = (value: string | undefined): string | undefined => (value === "c1" || value?.startsWith("127.0.0.3") ? "c1" : undefined);

function lineEvents(t: number, board: string, text: string): LabEvent[] {
  const line = parseLogLine(text)!;
  return [{ t, board, name: "line", args: [], text, line }, ...classify(line, peers).map((e) => ({ t, board, ...e, line, fields: line.fields }))];
}

const lab = (t: number, name: string, ...args: string[]): LabEvent => ({ t, board: "lab", name, args, text: name });

const events: LabEvent[] = [
  { t: -300, board: "c1", name: "boot", args: [] },
  ...lineEvents(200, "c1", "   500 I tcp.client: state handshaking->online reason=welcome"),
  lab(0, "start"),
  ...lineEvents(1000, "c1", "  1300 D tcp.client: echo reply seq=0 rttMs=2 text=a"),
  ...lineEvents(2000, "c1", "  2300 D tcp.client: echo reply seq=1 rttMs=2 text=a"),
  lab(5000, "wifi-drop", "c1"),
  ...lineEvents(5001, "c1", "  5301 I tcp.client: state online->paused reason=link-down"),
  ...lineEvents(5002, "c1", "  5302 W tcp.client: echo replies lost with the connection count=1 lostTotal=1"),
  ...lineEvents(7900, "server", "  8000 W tcp.server: peer silent, closing session=1 client=c1 peer=127.0.0.3:5000 silentMs=3004 timeoutMs=3000"),
  lab(7000, "wifi-restore", "c1"),
  ...lineEvents(7300, "c1", "  7600 I tcp.client: state handshaking->online reason=welcome"),
  ...lineEvents(7400, "server", "  7500 I tcp.server: handshake done, client online session=2 client=c1 peer=127.0.0.3:5002 online=1"),
  lab(10000, "power-off", "server"),
  ...lineEvents(13050, "c1", "  13350 W tcp.client: state online->lost reason=silent silentMs=3050"),
  ...lineEvents(13060, "c1", "  13360 I tcp.client: connection to the server ended (FIN or RST received, or lwIP aborted it) state=lost"),
  lab(13000, "power-on", "server"),
  ...lineEvents(15000, "c1", "  15300 I tcp.client: state handshaking->online reason=welcome"),
  lab(20000, "end"),
].sort((a, b) => a.t - b.t);

describe("lab expectations and summary", () => {
  it("parses a serial log line into level, tag, fixed message and fields (quoted values unescaped)", () => {
    assert.deepEqual(parseLogLine('  1234 W tcp.server: peer silent, closing peer=127.0.0.4:5 text="a \\"b\\"" silentMs=3004'), {
      boardMs: 1234,
      level: "W",
      tag: "tcp.server",
      message: "peer silent, closing",
      fields: { peer: "127.0.0.4:5", text: 'a "b"', silentMs: "3004" },
    });
    assert.equal(parseLogLine("XS abort: unhandled exception"), undefined);
  });

  it("turns state, verdict, handshake and close lines into events, naming the peer board", () => {
    const names = (text: string): string[] => classify(parseLogLine(text)!, peers).map((e) => [e.name, ...e.args].join(" "));
    assert.deepEqual(names("  1 I tcp.client: state handshaking->online reason=welcome"), ["state online", "online", "handshake"]);
    assert.deepEqual(names("  1 W tcp.client: state online->lost reason=silent"), ["state lost", "lost"]);
    assert.deepEqual(names("  1 W tcp.server: peer silent, closing session=1 client=c1"), ["offline c1"]);
    assert.deepEqual(names("  1 I tcp.server: handshake done, client online session=1 peer=127.0.0.3:99"), ["handshake c1"]);
    assert.deepEqual(names("  1 I tcp.client: server closed (FIN received)"), ["peer-closed"]);
    assert.deepEqual(names("  1 W tcp.client: connect failed (refused or unreachable: RST or no route)"), []);
    assert.deepEqual(names("  1 I tcp.server: session state online->closed reason=silent"), []);
  });

  it("passes a positive expectation when the event follows its anchor in time, with the delay", () => {
    const result = judge(scenario.expectations[0], events, scenario);
    assert.equal(result.passed, true, result.detail);
    assert.deepEqual(result.delaysMs, [300]);
  });

  it("fails a 'no' expectation when the event happens inside the window, and says when", () => {
    const result = judge(scenario.expectations[1], events, scenario);
    assert.equal(result.passed, true, result.detail);
    const late = judge({ ...scenario.expectations[1], window: { kind: "after", withinMs: 7000, anchor: { name: "wifi-restore", args: ["c1"] } } }, events, scenario);
    assert.equal(late.passed, false);
    assert.match(late.detail, /lost 6\.05s after wifi-restore c1 at 7\.00s/);
  });

  it("checks a between window, positive and negated", () => {
    assert.equal(judge(scenario.expectations[2], events, scenario).passed, true);
    assert.equal(judge(scenario.expectations[3], events, scenario).passed, true);
    const bad = judge({ ...scenario.expectations[3], window: { kind: "between", fromMs: 0, toMs: 9000 } }, events, scenario);
    assert.equal(bad.passed, false);
    assert.match(bad.detail, /1× offline c1 between 0\.00s and 9\.00s, first at 7\.90s/);
  });

  it("fails when the event comes too late, telling how late it came", () => {
    const tight = { ...scenario.expectations[0], window: { kind: "after" as const, withinMs: 100, anchor: { name: "wifi-restore", args: ["c1"] } } };
    const result = judge(tight, events, scenario);
    assert.equal(result.passed, false);
    assert.match(result.detail, /no online within 0\.10s of wifi-restore c1 at 7\.00s \(it came 0\.30s after\)/);
  });

  it("times from a board's boots once the lab clock runs, not from its first boot before it", () => {
    const before = judge(scenario.expectations[4], events, scenario);
    assert.equal(before.passed, false);
    assert.match(before.detail, /boot c1 never happened/);
    const rebooted = [...events, { t: 16000, board: "c1", name: "boot", args: [] }, ...lineEvents(16400, "c1", "   400 I tcp.client: state handshaking->online reason=welcome")].sort((a, b) => a.t - b.t);
    const after = judge(scenario.expectations[4], rebooted, scenario);
    assert.equal(after.passed, true, after.detail);
    assert.deepEqual(after.delaysMs, [400]);
  });

  it("checks 'by <time>' against everything before that time, the boot included", () => {
    const by = parseScenario("duration 9s\nboard c1\nexpect c1 online by 1s\nexpect c1 no lost by 6s\n", "by.lab").expectations;
    assert.equal(judge(by[0], events, scenario).passed, true);
    assert.equal(judge(by[1], events, scenario).passed, false);
    assert.match(judge(by[1], events, scenario).detail, /1× lost by 6\.00s, first at 5\.00s/);
  });

  it("summarizes outages, verdicts, handshakes and ECHO accounting per board", () => {
    const summary = summarize(
      scenario,
      [
        { id: "server", index: 0, config: { role: "server" }, role: "server", addresses: ["127.0.0.2"], boots: 2 },
        { id: "c1", index: 1, config: { role: "client" }, role: "client", addresses: ["127.0.0.3"], boots: 1 },
      ],
      events,
      [],
    );
    const c1 = summary.boards[1];
    assert.deepEqual(
      c1.outages.map((o) => [o.lostAtMs, o.reason, o.onlineAtMs]),
      [
        [5001, "link-down", 7300],
        [13050, "silent", 15000],
      ],
    );
    assert.equal(c1.handshakes, 3);
    assert.deepEqual(c1.messages, { sent: 3, echoed: 2, lost: 1 });
    assert.deepEqual(summary.boards[0].offlineVerdicts, [{ atMs: 7900, peer: "c1", silentMs: 3004 }]);
    const reactions = (name: string): string[] => summary.incidents.find((i) => i.name === name)!.reactions.map((r) => `${r.board} ${r.what} +${r.afterMs}`);
    assert.deepEqual(reactions("wifi-drop"), ["c1 lost its server (reason=link-down) +1", "server declared c1 offline (silent 3004 ms) +2900"]);
    assert.deepEqual(reactions("wifi-restore"), ["c1 online (reason=welcome) +300"]);
    assert.deepEqual(reactions("power-off"), ["c1 lost its server (reason=silent, silent 3050 ms) +3050", "c1 was told its connection is gone (socket onError: FIN, RST or abort) +3060"]);
    assert.deepEqual(reactions("power-on"), ["c1 online (reason=welcome) +2000"]);
    const text = formatSummary(summary);
    assert.match(text, /c1: lost at 13\.1s \(silent, link silent 3050 ms\), online again at 15\.0s: 1\.9s without a link/);
    assert.match(text, /server: declared c1 offline at 7\.9s after 3004 ms of silence/);
  });
});

describe("the summary files each reaction under its cause (lab 4's timeline)", () => {
  // host-sim/scenarios/lab-4.lab: at 5 s c1 loses Wi-Fi for 1.5 s and s2 loses power for 5.5 s; at 7 s s1 reboots
  // for 2 s. c1 and c2 talk to s1, c3 to s2. Filing by time alone put c1's loss at 5 s under s2's power cut (the
  // later line at the same time) and left "(no board reacted)" under the Wi-Fi drop.
  const lab4 = parseScenario(readFileSync(join(repoDir, "host-sim", "scenarios", "lab-4.lab"), "utf8"), "lab-4.lab");
  const address: Record<string, string> = { s1: "127.0.74.2", s2: "127.0.74.3", c1: "127.0.74.4", c2: "127.0.74.5", c3: "127.0.74.6" };
  const peerOf = (value: string | undefined): string | undefined => Object.keys(address).find((id) => id === value || address[id] === value?.replace(/:\d+$/, ""));
  const at = (t: number, board: string, text: string): LabEvent[] => {
    const line = parseLogLine(text)!;
    return [{ t, board, name: "line", args: [], text, line }, ...classify(line, peerOf).map((e) => ({ t, board, ...e, line, fields: line.fields }))];
  };
  const online = (t: number, board: string, server: string): LabEvent[] =>
    at(t, board, `${t + 900} I tcp.client: state handshaking->online reason=welcome server=${address[server]}:8420 session=1`);
  const lost = (t: number, board: string, reason: string): LabEvent[] => at(t, board, `${t + 900} I tcp.client: state online->lost reason=${reason}`);
  // The client's socket ends first (onError): its line names no peer, so the peer is the server it last joined.
  const ended = (t: number, board: string): LabEvent[] => at(t, board, `${t + 900} W tcp.client: connection to the server ended (FIN or RST received, or lwIP aborted it) state=online`);
  const timeline: LabEvent[] = [
    ...online(100, "c1", "s1"),
    ...online(110, "c2", "s1"),
    ...online(120, "c3", "s2"),
    lab(5000, "wifi-drop", "c1"),
    lab(5000, "power-off", "s2"),
    ...ended(5002, "c1"),
    ...lost(5003, "c1", "link-down"),
    lab(6500, "wifi-restore", "c1"),
    ...online(6620, "c1", "s1"),
    lab(7000, "reboot", "s1"),
    ...ended(7003, "c1"),
    ...lost(7004, "c1", "connection-ended"),
    ...lost(7005, "c2", "connection-ended"),
    ...lost(8100, "c3", "silent"),
    { t: 9050, board: "s1", name: "boot", args: [] },
    ...online(9600, "c1", "s1"),
    ...online(9700, "c2", "s1"),
    lab(10500, "power-on", "s2"),
    { t: 10600, board: "s2", name: "boot", args: [] },
    ...online(11200, "c3", "s2"),
  ];
  const records = Object.entries(address).map(([id, a], index) => ({ id, index, config: {}, role: id.startsWith("s") ? "server" : "client", addresses: [a], boots: 1 }));
  const summary = summarize(lab4, records, timeline, []);
  const under = (name: string): string[] =>
    summary.incidents.filter((i) => i.name === name).flatMap((i) => i.reactions.map((r) => `${r.board} ${r.what.replace(/ \(.*\)$/, "")}`));

  it("puts c1's loss, and its socket's end that names no peer, under its own Wi-Fi drop, not under s2's power cut at the same moment", () => {
    assert.deepEqual(under("wifi-drop"), ["c1 was told its connection is gone", "c1 lost its server"]);
  });
  it("puts c3's loss, found 3 s later, under the power cut of its server s2", () => {
    assert.deepEqual(under("power-off"), ["c3 lost its server"]);
  });
  it("puts each board's return under the restore of the fault that took it away", () => {
    assert.deepEqual(under("wifi-restore"), ["c1 online"]);
    assert.deepEqual(under("power-on"), ["s2 booted", "c3 online"]);
  });
  it("puts both clients of s1 under s1's reboot, with s1's boot and their return", () => {
    assert.deepEqual(under("reboot"), ["c1 was told its connection is gone", "c1 lost its server", "c2 lost its server", "s1 booted", "c1 online", "c2 online"]);
  });
});

describe("a bug a board caught and logged fails the run", () => {
  const text = (expect: string) => `duration 10s
board server role=server
board c1 role=client
${expect}
`;
  const records = [
    { id: "server", index: 0, config: {}, role: "server", addresses: ["127.0.0.2"], boots: 1 },
    { id: "c1", index: 1, config: {}, role: "client", addresses: ["127.0.0.3"], boots: 1 },
  ];
  const events: LabEvent[] = [
    { t: -100, board: "c1", name: "boot", args: [] },
    ...lineEvents(4000, "c1", `  9000 E tcp.client: callback failed where=onReadable error="TypeError: boom"`),
  ];

  it("reads `callback failed` from any part as a bug event", () => {
    assert.deepEqual(events.filter((e) => e.name === "bug").map((e) => [e.board, e.fields?.where]), [["c1", "onReadable"]]);
  });

  it("fails a run whose expectations all pass when a board logged a bug, and says why", () => {
    const scenario = parseScenario(text(""), "bug.lab");
    const summary = summarize(scenario, records, events, []);
    assert.equal(summary.passed, false);
    assert.deepEqual(summary.boards[1].bugs, [{ atMs: 4000, where: "onReadable", error: "TypeError: boom" }]);
    assert.match(formatSummary(summary), /c1: a bug at 4\.0s: callback failed where=onReadable error=TypeError: boom/);
  });

  it("passes when the scenario expects the bug (expect c1 bug), judged like any event", () => {
    const scenario = parseScenario(text("expect c1 bug"), "bug.lab");
    const results = scenario.expectations.map((e) => judge(e, events, scenario));
    assert.deepEqual(results.map((r) => r.passed), [true]);
    assert.equal(summarize(scenario, records, events, results).passed, true);
  });
});
