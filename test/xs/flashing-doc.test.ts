// docs/flashing.md quotes the serial log a person should see on a real board. Those quotes cannot be checked on
// hardware here, so this test keeps them honest against the firmware: each quoted linklab line must be an entry of
// the firmware's catalogue of log lines (tag and fixed message), with keys that entry carries.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { allEvents, isEvent, transitionOf } from "../../modules/events.ts";
import { repoDir } from "../../host-sim/harness/xs.ts";

const line = /^\s*\d+ ([EWID]) ([\w.]+): (.+)$/;

function quotedLines(): string[] {
  const text = readFileSync(join(repoDir, "docs", "flashing.md"), "utf8");
  const blocks = [...text.matchAll(/```log\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.flatMap((block) => block.split("\n")).filter((l) => line.test(l));
}

function firmwareSource(): string {
  const files = [join(repoDir, "main.ts"), ...readdirSync(join(repoDir, "modules")).filter((f) => f.endsWith(".ts")).map((f) => join(repoDir, "modules", f))];
  return files.map((f) => readFileSync(f, "utf8")).join("\n");
}

/** "state idle->up reason=x ip=127.0.0.4" -> message "state idle->up", keys [reason, ip]. */
function split(quoted: string): { message: string; keys: string[] } {
  const rest = quoted.replace(/="(?:[^"\\]|\\.)*"/g, '=""'); // a quoted value may hold key=value text
  const at = rest.search(/ [A-Za-z]\w*=/);
  const message = at < 0 ? rest : rest.slice(0, at);
  const keys = at < 0 ? [] : [...rest.slice(at).matchAll(/ ([A-Za-z]\w*)=/g)].map((m) => m[1]);
  return { message, keys };
}

describe("docs/flashing.md", () => {
  it("quotes serial log lines", () => {
    assert.ok(quotedLines().length >= 20, "expected the first-ten-seconds logs and the failure examples");
  });

  it("quotes only lines the firmware prints: entries of its catalogue, with their keys, and states it has", () => {
    const source = firmwareSource();
    const problems: string[] = [];
    for (const quoted of quotedLines()) {
      const [, , tag, rest] = line.exec(quoted)!;
      const { message, keys } = split(rest);
      const entry = allEvents().find((e) => isEvent({ tag, message }, e));
      if (!entry) {
        problems.push(`not in the catalogue of log lines (modules/events.ts): ${quoted.trim()}`);
        continue;
      }
      const change = transitionOf({ tag, message }, entry);
      if (change) for (const state of [change.from, change.to]) if (!source.includes(`"${state}"`)) problems.push(`no state "${state}" in the firmware: ${quoted.trim()}`);
      for (const key of keys) if (!entry.keys.includes(key)) problems.push(`no key ${key} on "${entry.message}": ${quoted.trim()}`);
    }
    assert.deepEqual(problems, []);
  });
});
