// docs/serial-log.md says, for every log line, which exercise uses it: each line an exercise quotes must have its
// row there, and the row must name that exercise. No boards run here.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { extractQuotes } from "./quotes.ts";
import { parseRows, rowFor } from "./serial-log.ts";
import { exercises, repoDir } from "./support.ts";

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
