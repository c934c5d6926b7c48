// docs/serial-log.md says, for every log line, which exercise uses it: each line an exercise quotes must have its
// row there, and the row must name that exercise (no boards run for this). And the keys a row names are the keys the
// firmware prints, in the order it prints them: checked against every line of the seven exercises' runs (shared with
// labs.test.ts when both run in one mocha process).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseLogLine } from "../../host-sim/lab/events.ts";
import { extractQuotes } from "./quotes.ts";
import { parseRows, rowFor, type DocKey } from "./serial-log.ts";
import { exercises, repoDir, runScenario, simulatorMissing } from "./support.ts";

const doc = readFileSync(join(repoDir, "docs", "serial-log.md"), "utf8");

describe("docs/serial-log.md against the exercises' quotes", () => {
  it("reads the reference's tables (tag, fixed message, exercises)", () => {
    const rows = parseRows(doc);
    assert.ok(rows.length > 50, `only ${rows.length} rows`);
    const accepted = rowFor(rows, "tcp.server", "connection accepted (SYN, SYN/ACK, ACK done)");
    assert.ok(accepted && accepted.labs.includes(1), "the accept line is documented for exercise 1");
    assert.ok(rowFor(rows, "tcp.client", "state waiting->paused"), "state <a>-><b> stands for any transition");
  });

  it("documents every line an exercise quotes, naming that exercise", () => {
    const rows = parseRows(doc);
    const problems: string[] = [];
    for (const exercise of exercises()) {
      for (const quote of extractQuotes(exercise.markdown, exercise.doc)) {
        if (quote.kind !== "board") continue;
        const row = rowFor(rows, quote.log.tag, quote.log.message);
        const what = `${quote.source}:${quote.line}: ${quote.log.tag}: ${quote.log.message}`;
        if (!row) problems.push(`${what}: no row in docs/serial-log.md`);
        else if (!row.labs.includes(exercise.number)) problems.push(`${what}: docs/serial-log.md:${row.line} does not name exercise ${exercise.number}`);
      }
    }
    assert.deepEqual([...new Set(problems)], []);
  });
});

/** Why the printed keys do not fit the documented ones (every printed key named, in the same order), or undefined. */
export function keysMismatch(printed: string[], documented: DocKey[]): string | undefined {
  const names = documented.map((k) => k.name);
  const unnamed = printed.filter((key) => !names.includes(key));
  if (unnamed.length > 0) return `prints ${unnamed.map((k) => k + "=").join(" ")} which the row does not name`;
  const positions = printed.map((key) => names.indexOf(key));
  if (positions.some((p, i) => i > 0 && p < positions[i - 1])) return `prints ${printed.map((k) => k + "=").join(" ")}, the row names ${names.map((k) => k + "=").join(" ")}`;
  return undefined;
}

describe("docs/serial-log.md against the lines the exercises' runs print", function () {
  this.timeout(180_000);

  it("tells a key the row does not name, and keys in another order, from a match", () => {
    const doc = (names: string): DocKey[] => names.split(" ").map((name) => ({ name: name.replace(/[[\]=]/g, ""), optional: name.startsWith("[") }));
    assert.equal(keysMismatch(["session", "client", "peer"], doc("session= client= peer= [reason=]")), undefined);
    assert.match(keysMismatch(["session", "client", "peer"], doc("session= reason=")) ?? "", /client= peer= which the row does not name/);
    assert.match(keysMismatch(["reason", "handshakeMs", "session"], doc("reason= session= [handshakeMs=]")) ?? "", /the row names/);
  });

  it("names the keys of every line the seven runs print, in the printed order", async function () {
    const missing = await simulatorMissing();
    if (missing) {
      console.log(`    skipped: ${missing}`);
      this.skip();
    }
    const rows = parseRows(doc);
    const problems = new Set<string>();
    let checked = 0;
    for (const exercise of exercises()) {
      const result = await runScenario(exercise.scenarioFile);
      for (const event of result.events) {
        if (event.name !== "line" || event.board === "lab" || event.text === undefined) continue;
        const line = parseLogLine(event.text);
        if (!line) continue;
        const row = rowFor(rows, line.tag, line.message);
        if (!row) {
          problems.add(`${line.tag}: ${line.message}: no row`);
          continue;
        }
        const documented = row.lines.find((l) => l.tag === line.tag && l.message === line.message) ?? row.lines.find((l) => l.tag === line.tag && l.message.includes("<a>-><b>") && line.message.startsWith(l.message.split(" <a>")[0] + " "));
        checked++;
        const why = documented ? keysMismatch(Object.keys(line.fields), documented.keys) : "the row's lines do not match";
        if (why) problems.add(`docs/serial-log.md:${row.line}: ${line.tag}: ${line.message}: ${why}`);
      }
    }
    assert.ok(checked > 300, `only ${checked} board lines in the seven runs`);
    assert.deepEqual([...problems], []);
  });
});
