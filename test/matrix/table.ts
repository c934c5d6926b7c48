// The fault matrix table for docs/reliability.md, from one or more MATRIX_JSON files of the matrix test (worst
// figures over all of them): node --import ./host-sim/register.mjs test/matrix/table.ts run1.json run2.json
// Does nothing when merely imported (mocha given the whole test/matrix directory loads it too).
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { markdownTable, type MatrixRow } from "./matrix.ts";

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    process.stderr.write("usage: node --import ./host-sim/register.mjs test/matrix/table.ts MATRIX_JSON...\n");
    process.exit(2);
  }
  const runs = files.map((file) => (JSON.parse(readFileSync(file, "utf8")) as { rows: MatrixRow[] }).rows);
  process.stdout.write(markdownTable(runs));
}
