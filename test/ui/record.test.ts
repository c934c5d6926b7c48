// Reading runs for the page and the report (host-sim/ui/record.ts): the --json file of a lab run, a recorded event
// file (JSON lines), and what bad input gives: a cut-off file shows what it holds and says where it was cut, an unknown
// event is skipped and named, a file that holds no run is refused with one clear message.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ANCHORS } from "../../host-sim/lab/faults.ts";
import { compactEvents, eventFileLines, expandEvents, parseRecord, RecordError, RunFeed, type FeedChange, type RunRecord } from "../../host-sim/ui/record.ts";

const fixture = readFileSync(join(dirname(fileURLToPath(import.meta.url)), "fixtures", "default-run.json"), "utf8");
const anchors = Object.keys(ANCHORS);
const parse = (text: string, name = "run.json"): RunRecord => parseRecord(text, name, anchors);

describe("ui record: reading runs", () => {
  it("reads the --json file of a lab run: header, events with their parsed lines, no problems", () => {
    const record = parse(fixture);
    assert.equal(record.header.title.startsWith("linklab: one server"), true);
    assert.deepEqual(record.header.boards.map((b) => b.id), ["server", "c1", "c2", "quiet", "c3"]);
    assert.equal(record.ended, true);
    assert.deepEqual(record.problems, []);
    const online = record.events.find((e) => e.board === "c1" && e.name === "online")!;
    assert.equal(online.fields?.reason, "welcome", "an event recognised in a line gets that line's fields back");
    assert.ok(online.line && online.line.tag === "tcp.client");
  });

  it("stores events compactly and reads them back the same", () => {
    const record = parse(fixture);
    assert.deepEqual(expandEvents(compactEvents(record.events)), record.events);
    assert.ok(JSON.stringify(compactEvents(record.events)).length < JSON.stringify(record.events).length / 2);
  });

  it("reads a recorded event file, and one cut off mid-event up to its last whole line, saying so", () => {
    const record = parse(fixture);
    const lines = eventFileLines(record.header, record.events);
    const whole = parse(lines, "run.jsonl");
    assert.equal(whole.events.length, record.events.length);
    assert.deepEqual(whole.problems, []);
    const cut = lines.slice(0, Math.floor(lines.length / 2));
    const partial = parse(cut, "run.jsonl");
    const kept = cut.split("\n").length - 2;
    assert.equal(partial.events.length, kept);
    assert.match(partial.problems.join("\n"), /run\.jsonl:\d+: the file is cut off in the middle of an event; showing the \d+ events before it/);
    assert.match(partial.problems.join("\n"), /no end event/);
  });

  it("refuses a cut-off --json file, a summary without its run, and a file that is no run, each with one clear message", () => {
    assert.throws(() => parse(fixture.slice(0, 5000)), (e: Error) => e instanceof RecordError && /cut off or not JSON/.test(e.message));
    const summaryOnly = JSON.parse(fixture) as Record<string, unknown>;
    delete summaryOnly.run;
    assert.throws(() => parse(JSON.stringify(summaryOnly)), /a lab summary without its run/);
    assert.throws(() => parse("hello\n"), /not a linklab run/);
    assert.throws(() => parse(""), /empty/);
    assert.throws(() => parse(JSON.stringify({ run: { header: { format: "linklab-run", version: 99, boards: [] }, events: [] } })), /version 99/);
  });

  it("skips an unknown event, naming it once, and keeps the rest", () => {
    const data = JSON.parse(fixture) as { run: { events: unknown[] } };
    data.run.events.splice(10, 0, { t: 1, board: "c1", name: "teleported", args: [] }, { t: 2, board: "c1", name: "teleported", args: [] }, { t: 3, board: "lab", name: "meteor", args: [] }, 42);
    const record = parse(JSON.stringify(data));
    assert.equal(record.events.length, parse(fixture).events.length);
    assert.equal(record.problems.filter((p) => p.includes("unknown event 'teleported'")).length, 1);
    assert.ok(record.problems.some((p) => p.includes("unknown event 'meteor'")));
    assert.ok(record.problems.some((p) => p.includes("not an event")));
  });

  it("feeds a live page: lab events pushed as they come, and raw serial lines recognised like the lab's", () => {
    const record = parse(fixture);
    const feed = new RunFeed(record.header);
    const seen: FeedChange[] = [];
    feed.subscribe((change) => seen.push(change));
    feed.labEvent(0, "start", [], "lab clock starts");
    feed.boardLine("c1", 10, "3021 I tcp.client: state handshaking->online reason=welcome server=server session=1 handshakeMs=27");
    assert.deepEqual(feed.events.map((e) => e.name), ["start", "line", "state", "online", "handshake"]);
    assert.deepEqual(feed.events.at(-1)!.args, ["server"], "the handshake names the server, resolved from the header's boards");
    feed.boardLine("board-7", 15, "  900 I wifi: got IP address ip=127.0.0.24 afterMs=900");
    assert.deepEqual(feed.header.boards.at(-1), { id: "board-7", role: "", addresses: [] }, "a board seen first in a line joins the header");
    assert.equal(feed.events.length, 6);
    feed.end();
    feed.boardLine("c1", 20, "3022 I tcp.client: sending BYE");
    assert.equal(feed.events.length, 6, "nothing is added after the end");
    assert.deepEqual(seen.map((c) => c.type), ["events", "events", "events", "events", "events", "header", "events", "end"]);
  });
});
