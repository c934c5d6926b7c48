// The teaching frame of every exercise (issue 12, item 7): predictions written before the run, a table to hand in,
// the run's record, an instructor's answer key per exercise, and a small reference capture for students who cannot
// capture. No boards run here.
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { exercises, labsDir } from "./support.ts";

const all = exercises();
const referenceDir = join(labsDir, "reference");
/** Loopback captures of a few hundred packets cut at 256 bytes stay far below this. */
const MAX_CAPTURE_BYTES = 64 * 1024;
/** The first four bytes of a classic pcap file, either byte order, micro- or nanosecond timestamps. */
const PCAP_MAGIC = new Set(["d4c3b2a1", "a1b2c3d4", "4d3cb2a1", "a1b23c4d"]);

/** The text of a `## heading` section, up to the next `## ` heading. */
function section(markdown: string, heading: string): string | undefined {
  const lines = markdown.split(/\r?\n/);
  const start = lines.findIndex((l) => l.trim() === `## ${heading}`);
  if (start < 0) return undefined;
  const end = lines.findIndex((l, i) => i > start && l.startsWith("## "));
  return lines.slice(start + 1, end < 0 ? undefined : end).join("\n");
}

describe("the teaching frame of the exercises", () => {
  for (const exercise of all) {
    describe(exercise.doc, () => {
      it("asks for predictions before the steps, and the steps come after them", () => {
        const predict = section(exercise.markdown, "Predict first");
        assert.ok(predict, "no '## Predict first' section");
        assert.ok(/^1\. /m.test(predict), "the predictions are not a numbered list");
        assert.ok(exercise.markdown.indexOf("## Predict first") < exercise.markdown.indexOf("## Steps"), "predictions come after the steps");
      });

      it("has a table to hand in with prediction and observed columns, and asks for the run's record", () => {
        const handIn = section(exercise.markdown, "Hand in");
        assert.ok(handIn, "no '## Hand in' section");
        assert.match(handIn, /\| *prediction *\| *observed \(simulator\) *\| *observed \(boards\) *\|/, "the table lacks the prediction and observed columns");
        assert.ok((handIn.match(/^\| \d+ \|/gm) ?? []).length >= 4, "fewer than four rows to fill in");
        assert.ok(handIn.includes(`npx linklab lab lab-${exercise.number} --json`), `does not ask for npx linklab lab lab-${exercise.number} --json`);
      });

      it(`has a small reference capture, docs/labs/reference/lab-${exercise.number}.pcap`, () => {
        const file = join(referenceDir, `lab-${exercise.number}.pcap`);
        assert.ok(existsSync(file), `${file} is missing`);
        const size = statSync(file).size;
        assert.ok(size > 24 && size <= MAX_CAPTURE_BYTES, `${size} bytes`);
        assert.ok(PCAP_MAGIC.has(readFileSync(file).subarray(0, 4).toString("hex")), "not a pcap file");
        assert.ok(readFileSync(join(referenceDir, "README.md"), "utf8").includes(`(lab-${exercise.number}.pcap)`), "reference/README.md does not link it");
      });
    });
  }

  it("has an instructor's section for every exercise, with a table of expected values and answers", () => {
    const notes = readFileSync(join(labsDir, "instructor.md"), "utf8");
    for (const exercise of all) {
      const heading = notes.split(/\r?\n/).find((l) => l.startsWith(`## Lab ${exercise.number}:`));
      assert.ok(heading, `instructor.md has no '## Lab ${exercise.number}:' section`);
      const body = section(notes, heading.slice(3)) ?? "";
      assert.match(body, /\| # \| expected \|/, `Lab ${exercise.number}: no table of expected values`);
      assert.match(body, /^Answers:/m, `Lab ${exercise.number}: no answers`);
    }
  });
});
