// docs/flashing.md quotes the serial log a person should see on a real board. Those quotes cannot be checked on
// hardware here, so this test keeps them honest against the firmware: each quoted linklab line must use a tag the
// firmware logs under, a fixed message the firmware prints, and keys the firmware writes.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoDir } from "./harness.ts";

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

/** "state idle->up reason=x ip=1.2.3.4" -> message "state idle->up", keys [reason, ip]. */
function split(rest: string): { message: string; keys: string[] } {
  const at = rest.search(/ [A-Za-z]\w*=/);
  const message = at < 0 ? rest : rest.slice(0, at);
  const keys = at < 0 ? [] : [...rest.slice(at).matchAll(/ ([A-Za-z]\w*)=/g)].map((m) => m[1]);
  return { message, keys };
}

describe("docs/flashing.md", () => {
  it("quotes serial log lines", () => {
    assert.ok(quotedLines().length >= 20, "expected the first-ten-seconds logs and the failure examples");
  });

  it("quotes only lines the firmware prints: its tags, fixed messages and keys", () => {
    const source = firmwareSource();
    const problems: string[] = [];
    for (const quoted of quotedLines()) {
      const [, , tag, rest] = line.exec(quoted)!;
      if (!source.includes(`"${tag}"`)) problems.push(`unknown tag ${tag}: ${quoted.trim()}`);
      const { message, keys } = split(rest);
      const state = /^(.*state )(\w+)->(\w+)$/.exec(message);
      if (state) {
        for (const part of [`"${state[1]}`, `"${state[2]}"`, `"${state[3]}"`])
          if (!source.includes(part)) problems.push(`no ${part} in the firmware: ${quoted.trim()}`);
      } else if (!source.includes(`"${message}"`)) {
        problems.push(`the firmware never prints "${message}": ${quoted.trim()}`);
      }
      for (const key of keys) if (!new RegExp(`\\b${key}\\b`).test(source)) problems.push(`no key ${key} in the firmware: ${quoted.trim()}`);
    }
    assert.deepEqual(problems, []);
  });
});
