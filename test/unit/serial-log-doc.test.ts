// docs/serial-log.md against the firmware's catalogue of log lines (modules/events.ts): every entry has a row with
// its tag, its fixed message and its keys, and every row documents an entry, so the reference cannot drift from
// what the firmware prints (the firmware can print nothing else: TagLog takes only catalogue entries).
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { allEvents, type LogEvent } from "linklab/events";
import { parseRows } from "../exercises/serial-log.ts";

const root = new URL("../../", import.meta.url);
const doc = readFileSync(new URL("docs/serial-log.md", root), "utf8");
const docLines = doc.split(/\r?\n/);
const rows = parseRows(doc);
const events = allEvents();

/** A documented line (`L tag: message key= ...`) is this entry: same tag, same message (any states for a change). */
function documents(line: { tag: string; message: string }, event: LogEvent): boolean {
  if (line.tag !== event.tag) return false;
  if (!event.transition) return line.message === event.message;
  const rest = line.message.slice(event.message.length + 1);
  return line.message.startsWith(event.message + " ") && /^(<a>-><b>|[\w-]+->[\w-]+)$/.test(rest);
}

/** The first cell of every row that documents the entry. */
function cellsFor(event: LogEvent): string[] {
  return rows.filter((row) => row.lines.some((line) => documents(line, event))).map((row) => docLines[row.line - 1].split(/\s\|\s/)[0]);
}

describe("docs/serial-log.md and the catalogue of log lines", () => {
  it("has a catalogue of the firmware's lines", () => {
    assert.ok(events.length > 80, `only ${events.length} entries`);
  });

  it("documents every entry: its tag and fixed message", () => {
    assert.deepEqual(events.filter((e) => cellsFor(e).length === 0).map((e) => `${e.tag}: ${e.message}`), []);
  });

  it("names every key an entry may carry in a row of its own", () => {
    const missing: string[] = [];
    for (const e of events) {
      const text = cellsFor(e).join(" ");
      if (!text) continue;
      for (const key of e.keys) if (!new RegExp(`[\\s\\[]${key}=`).test(text)) missing.push(`${e.tag}: ${e.message}: ${key}=`);
    }
    assert.deepEqual(missing, []);
  });

  it("names only keys the entry carries, each once (a row must not promise `client=` on a line that never prints it)", () => {
    const wrong: string[] = [];
    for (const row of rows)
      for (const line of row.lines) {
        const event = events.find((e) => documents(line, e));
        if (!event) continue;
        const names = line.keys.map((k) => k.name);
        for (const name of names) if (!event.keys.includes(name)) wrong.push(`line ${row.line}: ${line.tag}: ${line.message}: ${name}= is no key of this line (it has ${event.keys.join(" ")})`);
        const twice = names.filter((name, i) => names.indexOf(name) !== i);
        if (twice.length > 0) wrong.push(`line ${row.line}: ${line.tag}: ${line.message}: ${[...new Set(twice)].join(" ")} named twice`);
      }
    assert.deepEqual(wrong, []);
  });

  it("documents no line that the catalogue does not have", () => {
    const stale = rows.flatMap((row) => row.lines.filter((line) => !events.some((e) => documents(line, e))).map((line) => `line ${row.line}: ${line.tag}: ${line.message}`));
    assert.deepEqual(stale, []);
  });
});
