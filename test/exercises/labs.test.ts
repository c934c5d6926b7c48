// Docs that cannot drift: each lab exercise (docs/labs/N-*.md) has a scenario (host-sim/scenarios/lab-N.lab), the
// scenario runs and meets its own expectations, and every log line the exercise quotes (```log blocks) appears in
// that run, by the matching rule of test/exercises/quotes.ts (docs/labs/README.md, "How the quotes are checked").
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { LabResult } from "../../host-sim/lab/lab.ts";
import { formatSummary } from "../../host-sim/lab/summary.ts";
import { extractQuotes, findQuote } from "./quotes.ts";
import { exercises, labsDir, runLines, runScenario, simulatorMissing } from "./support.ts";

const all = exercises();

/** The lab's own lines and the I/W/E lines of the boards that failing expectations name, to see what happened. */
function story(result: LabResult): string {
  const boards = new Set(result.expectations.filter((e) => !e.passed).flatMap((e) => e.text.split(/\s+/)).filter((w) => result.boards.some((b) => b.id === w)));
  const lines = result.events
    .filter((e) => e.board === "lab" || (boards.has(e.board) && (e.name === "stderr" || (e.name === "line" && !/^\s*\d+ D /.test(e.text ?? "")))))
    .map((e) => `${(e.t / 1000).toFixed(2).padStart(7)} ${e.board.padEnd(6)} ${e.text ?? e.name}`);
  return `Lines of ${[...boards].join(", ")} (last 80):\n${lines.slice(-80).join("\n")}`;
}

describe("lab exercises in docs/labs", () => {
  it("has exercises 1 to 7, one file each, each with its scenario lab-N in host-sim/scenarios", () => {
    assert.deepEqual(
      all.map((e) => e.number),
      [1, 2, 3, 4, 5, 6, 7],
    );
    for (const exercise of all) assert.ok(existsSync(exercise.scenarioFile), `${exercise.doc}: no host-sim/scenarios/lab-${exercise.number}.lab`);
  });

  it("tells how to run each exercise's scenario by name", () => {
    for (const exercise of all) assert.ok(exercise.markdown.includes(`npx linklab lab lab-${exercise.number}`), `${exercise.doc} never says npx linklab lab lab-${exercise.number}`);
  });

  it("lists every exercise in docs/labs/README.md", () => {
    const index = readFileSync(join(labsDir, "README.md"), "utf8");
    for (const exercise of all) assert.ok(index.includes(`(${exercise.doc.slice("docs/labs/".length)})`), `README.md does not link ${exercise.doc}`);
  });

  it("quotes well-formed log lines, at least three in each exercise", () => {
    for (const exercise of all) assert.ok(extractQuotes(exercise.markdown, exercise.doc).length >= 3, `${exercise.doc} quotes fewer than three log lines`);
  });
});

describe("lab exercises against real runs of their scenarios", function () {
  // Seven scenarios of 7 to 19 s, two at a time, plus board boots: one to two minutes in all.
  this.timeout(120_000);

  before(async function () {
    const missing = await simulatorMissing();
    if (missing) {
      console.log(`    skipped: ${missing}`);
      this.skip();
    }
    // Start every run now (two at a time); each test below waits for its own.
    for (const exercise of all) void runScenario(exercise.scenarioFile);
  });

  for (const exercise of all) {
    describe(`exercise ${exercise.number} (${exercise.doc})`, () => {
      it("meets the expectations of its scenario", async () => {
        const result = await runScenario(exercise.scenarioFile);
        assert.ok(result.passed, `${exercise.doc}: host-sim/scenarios/lab-${exercise.number}.lab failed:\n${formatSummary(result.summary)}\n${story(result)}`);
      });

      it("quotes only log lines that its scenario really prints", async () => {
        const quotes = extractQuotes(exercise.markdown, exercise.doc);
        const lines = runLines(await runScenario(exercise.scenarioFile));
        const missing = quotes
          .map((quote) => ({ quote, result: findQuote(quote, lines) }))
          .filter(({ result }) => !result.found)
          .map(({ quote, result }) => {
            const text = exercise.markdown.split(/\r?\n/)[quote.line - 1].trim();
            return `${quote.source}:${quote.line}: ${text}${result.near.map((n) => `\n      nearest: ${n}`).join("")}`;
          });
        assert.deepEqual(missing, [], `quoted lines that the run of lab-${exercise.number} did not print:\n${missing.join("\n")}`);
      });
    });
  }
});

