// docs/serial-log.md must list every fixed log message the firmware can print, so the reference cannot drift.
import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";

const root = new URL("../../", import.meta.url);
const sources = ["main.ts", ...readdirSync(new URL("modules/", root)).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")).map((f) => "modules/" + f)];

/** Fixed messages passed to the log: .e/.w/.i/.d("..."), .at(level, "..."), a session's #log("L", "..."). */
function messages(source: string): string[] {
  const found: string[] = [];
  const patterns = [/\.(?:e|w|i|d)\(\s*"([^"]+)"/g, /\.at\([^,()]+(?:\([^)]*\))?[^,()]*,\s*"([^"]+)"/g, /#log\(\s*(?:"[EWID]"|[^,]+),\s*"([^"]+)"/g, /\.(?:e|w|i|d)\(\s*[\w.#]+ === "[^"]+" \? "([^"]+)" : "([^"]+)"/g];
  for (const pattern of patterns) for (const m of source.matchAll(pattern)) found.push(...m.slice(1).filter(Boolean));
  return found;
}

describe("docs/serial-log.md", () => {
  const doc = readFileSync(new URL("docs/serial-log.md", root), "utf8");

  it("lists every fixed log message of main.ts and modules/", () => {
    const missing: string[] = [];
    let total = 0;
    for (const file of sources) {
      for (const message of messages(readFileSync(new URL(file, root), "utf8"))) {
        if (/^[A-Z]+$/.test(message) || message.includes("%")) continue;
        total++;
        if (!doc.includes(message)) missing.push(`${file}: ${message}`);
      }
    }
    assert.ok(total > 60, `found only ${total} messages: the extraction is broken`);
    assert.deepEqual(missing, []);
  });
});
