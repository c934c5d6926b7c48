// The page's event model (host-sim/ui/model.ts) and its drawing (render.ts): pure, so the same events give the same
// diagram; every element points at the log line it came from; lines are recognised through the firmware's catalogue;
// fault bands carry the reactions the lab summary files under them; expectations are pinned where they were judged.
// Most cases read a real run of the default scenario (test/ui/fixtures/default-run.json, written by
// `linklab lab default --json`); the others build small runs from the catalogue's own entries.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { EV, type LogEvent } from "../../modules/events.ts";
import { ANCHORS } from "../../host-sim/lab/faults.ts";
import type { Summary } from "../../host-sim/lab/summary.ts";
import { boardsAt, buildModel, KINDS, type Model } from "../../host-sim/ui/model.ts";
import { expandEvents, parseRecord, type RunHeader, type RunRecord, type StoredEvent } from "../../host-sim/ui/record.ts";
import { renderDiagram, renderSummary, renderTimeline, type View } from "../../host-sim/ui/render.ts";

const fixture = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "default-run.json");
const text = readFileSync(fixture, "utf8");
const read = (): RunRecord => parseRecord(text, "default-run.json", Object.keys(ANCHORS));
const all: View = { cursor: Infinity, kinds: new Set(KINDS), boards: new Set() };

function labels(model: Model, id: string): string[] {
  const c = model.connections.find((x) => x.id === id);
  assert.ok(c, `connection ${id} (have ${model.connections.map((x) => x.id).join(", ")})`);
  return c.elements.map((e) => e.label);
}

/** A serial-log line of a catalogue entry, as the firmware prints it. */
function line(ms: number, entry: LogEvent, fields: Record<string, string | number> = {}, change?: string): string {
  const words = Object.entries(fields).map(([k, v]) => `${k}=${v}`);
  return [`${ms} I ${entry.tag}: ${entry.message}${change ? " " + change : ""}`, ...words].join(" ");
}

function smallRun(events: StoredEvent[], expectations: RunHeader["expectations"] = []): RunRecord {
  const header: RunHeader = {
    format: "linklab-run",
    version: 1,
    source: "lab",
    title: "small",
    file: "small.lab",
    notes: [],
    durationMs: 10_000,
    boards: [
      { id: "s", role: "server", addresses: ["127.0.0.2"] },
      { id: "c", role: "client", addresses: ["127.0.0.3"] },
    ],
    expectations,
  };
  return { header, events: expandEvents(events), ended: true, problems: [] };
}

describe("ui model: the page's event model", () => {
  it("gives the same model and the same drawing for the same events", () => {
    const a = buildModel(read());
    const b = buildModel(read());
    assert.deepEqual(a, b);
    const ra = read();
    for (const c of a.connections) assert.equal(renderDiagram(c, a, all, ra.events), renderDiagram(b.connections.find((x) => x.id === c.id)!, b, all, ra.events));
    assert.equal(renderTimeline(a, all), renderTimeline(b, all));
    assert.equal(renderSummary(a), renderSummary(b));
  });

  it("keeps, for every element, the log line it came from (a line of one of the connection's boards)", () => {
    const record = read();
    const model = buildModel(record);
    let count = 0;
    for (const c of model.connections) {
      for (const el of c.elements) {
        const source = record.events[el.line];
        assert.ok(source, `${c.id} ${el.label}: line ${el.line} exists`);
        // A log line; a board's boot (its first line) or its process ending has no line of its own.
        assert.ok(["line", "boot", "exit"].includes(source.name), `${c.id} ${el.label} points at a log line (got ${source.name})`);
        if (el.kind !== "state") assert.equal(source.name, "line", `${c.id} ${el.label}`);
        assert.ok([c.client, c.server].includes(source.board), `${c.id} ${el.label} came from ${source.board}`);
        count++;
      }
    }
    assert.ok(count > 100, `${count} elements`);
    const svg = renderDiagram(model.connections[0], model, all, record.events);
    const lines = [...svg.matchAll(/data-line="(\d+)"/g)].map((m) => Number(m[1]));
    assert.ok(lines.length > 50 && lines.every((i) => record.events[i] !== undefined), "every drawn element carries its line's index");
  });

  it("draws the handshake, the protocol and the heartbeat as the firmware logged them", () => {
    const model = buildModel(read());
    const c1 = labels(model, "c1~server");
    const order = ["SYN", "SYN/ACK", "HELLO"].map((l) => c1.findIndex((x) => x === l || x.startsWith(l + " ")));
    assert.ok(order.every((i) => i >= 0) && order[0] < order[1] && order[1] < order[2], `SYN, SYN/ACK, HELLO in order: ${c1.slice(0, 14).join(" | ")}`);
    assert.ok(c1.some((l) => l.startsWith("ACK")) && c1.some((l) => l.startsWith("WELCOME")));
    assert.ok(c1.some((l) => /^ECHO \d+ back \(rtt \d+ ms\)$/.test(l)), "ECHO round trips");
    assert.ok(c1.some((l) => l.startsWith("beacon")), "UDP beacons");
    const c2 = labels(model, "c2~server");
    assert.ok(c2.some((l) => l.startsWith("PING")) && c2.some((l) => l.startsWith("PONG")), "PING/PONG");
    const c3 = model.connections.find((c) => c.id === "c3~quiet")!;
    const silence = c3.elements.filter((e) => e.kind === "silence");
    assert.ok(silence.length >= 1 && silence.every((s) => s.since! < s.t), "the idle firewall's silence, from when it began");
    assert.ok(labels(model, "c3~quiet").includes("RST or no route: connect failed"), "c3's first SYN met a closed port");
  });

  it("files under each fault band the same reactions as the lab summary", () => {
    const whole = JSON.parse(text) as Summary;
    const model = buildModel(read());
    const fromBands = model.bands.flatMap((b) => [
      { name: b.name, reactions: b.reactions.map((r) => [r.board, r.what, r.afterMs]) },
      ...(b.restore ? [{ name: b.restore.name, reactions: b.restore.reactions.map((r) => [r.board, r.what, r.afterMs]) }] : []),
    ]);
    const fromSummary = whole.incidents.map((i) => ({ name: i.name, reactions: i.reactions.map((r) => [r.board, r.what, r.afterMs]) }));
    assert.deepEqual(fromBands, fromSummary);
    const wifi = model.bands.find((b) => b.name === "wifi-drop")!;
    assert.equal(wifi.restore?.name, "wifi-restore", "the drop's band ends at the restore");
    assert.ok(wifi.endT - wifi.t > 3900 && wifi.endT - wifi.t < 4200, `4 s band (${wifi.endT - wifi.t} ms)`);
    assert.ok(wifi.reactions.every((r) => r.line !== undefined), "each reaction keeps its log line");
    const lost = model.connections.find((c) => c.id === "c1~server")!.elements.find((e) => e.kind === "state" && e.label.startsWith("lost") && e.cause === wifi.index);
    assert.ok(lost, "c1's 'lost' note in the diagram points at the wifi-drop band");
  });

  it("pins each expectation where it was judged: the event that met it, or the end of its window", () => {
    const model = buildModel(read());
    const record = read();
    const online = model.pins.find((p) => p.text === "c1 online by 4s")!;
    const first = record.events.find((e) => e.board === "c1" && e.name === "online")!;
    assert.equal(online.t, first.t);
    assert.equal(online.passed, true);
    const none = model.pins.find((p) => p.text === "c1 no lost within 11s of idle-firewall")!;
    const firewall = record.events.find((e) => e.board === "lab" && e.name === "idle-firewall")!;
    assert.equal(none.t, Math.min(model.endMs, firewall.t + 11_000));
    // A failed one: its deadline.
    const run = smallRun([{ t: 0, board: "lab", name: "start", args: [] }, { t: 10_000, board: "lab", name: "end", args: [] }], [
      { board: "c", negated: false, event: { name: "online", args: [] }, window: { kind: "by", toMs: 4000 }, text: "c online by 4s", line: 3 },
    ]);
    const [pin] = buildModel(run).pins;
    assert.deepEqual([pin.t, pin.passed], [4000, false]);
  });

  it("recognises lines by the catalogue's entries, and shows a waiting board's backoff and time left", () => {
    const events: StoredEvent[] = [
      { t: 0, board: "lab", name: "start", args: [] },
      { t: 100, board: "c", name: "line", args: [], text: line(100, EV.client.connecting, { server: "127.0.0.2:8420" }) },
      { t: 110, board: "c", name: "line", args: [], text: line(110, EV.client.connectFailed, { server: "127.0.0.2:8420", afterMs: 10 }) },
      { t: 111, board: "c", name: "line", args: [], text: line(111, EV.client.state, { reason: "refused", server: "127.0.0.2:8420" }, "connecting->waiting") },
      { t: 111, board: "c", name: "state", args: ["waiting"] },
      { t: 112, board: "c", name: "line", args: [], text: line(112, EV.client.backoff, { delayMs: 2000, attempt: 1, capMs: 4000 }) },
      { t: 10_000, board: "lab", name: "end", args: [] },
    ];
    const model = buildModel(smallRun(events));
    assert.deepEqual(labels(model, "c~s"), ["SYN", "RST or no route: connect failed"]);
    const c = boardsAt(model, 1112).find((b) => b.id === "c")!;
    assert.equal(c.state, "waiting");
    assert.equal(c.detail, "backoff 2000 ms, 1.0 s left");
    // A line the catalogue does not have draws nothing, whatever its words say.
    const reworded = buildModel(smallRun([{ t: 100, board: "c", name: "line", args: [], text: "100 I tcp.client: SYN sent to server=127.0.0.2:8420" }]));
    assert.equal(reworded.connections.length, 0);
  });

  it("shows only what happened up to the replay cursor, and filters by kind and board", () => {
    const record = read();
    const model = buildModel(record);
    const c1 = model.connections.find((c) => c.id === "c1~server")!;
    const early: View = { cursor: 2000, kinds: new Set(KINDS), boards: new Set() };
    const svg = renderDiagram(c1, model, early, record.events);
    const drawn = [...svg.matchAll(/data-line="(\d+)"/g)].map((m) => record.events[Number(m[1])].t);
    assert.ok(drawn.length > 0 && drawn.every((t) => t <= 2000), "nothing after the cursor");
    assert.ok(!svg.includes("wifi-drop") && renderDiagram(c1, model, all, record.events).includes("Wi-Fi drops"), "the fault appears once the cursor reaches it");
    const tcpOnly = renderDiagram(c1, model, { ...all, kinds: new Set(["tcp"]) }, record.events);
    assert.ok(tcpOnly.includes(">SYN<") && !tcpOnly.includes("ECHO") && !tcpOnly.includes("beacon"));
    const onlyC3 = renderTimeline(model, { ...all, boards: new Set(["c3"]) });
    assert.ok(onlyC3.includes(">c3<") && !onlyC3.includes(">c1<"));
  });
});
