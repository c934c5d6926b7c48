// The config words the docs tell people to build with. mcconfig turns every `key=value` word of its command line
// into a config entry without checking it (SDK tools/mcmanifest.js: `this.config[property] = ...`), so a misspelt or
// stale key in a doc builds a board that silently ignores it. This checks, with no board and no SDK:
//  - every key of every `mcconfig` (and `npx linklab build|run`) line in docs/ and README.md exists in manifest.json's
//    config, or in the config of a Moddable manifest that manifest.json includes (SDK_KEYS below);
//  - every value such a line sets is accepted by the firmware's own reader (modules/settings.ts readSettings);
//  - each lab exercise's bench set-up (the mcconfig lines of docs/labs/N-*.md) carries the config its scenario's
//    boards use (host-sim/scenarios/lab-N.lab): for every board, one mcconfig line of the same role sets each of its
//    keys to the same value, apart from the simulator-only words of SIM_ONLY.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { readSettings } from "linklab/settings";
import { findSdk, isSdk } from "../../host-sim/moddable/sdk.ts";
import { loadScenario } from "../../host-sim/lab/scenario.ts";
import type { BoardSpec } from "../../host-sim/lab/scenario.ts";
import { exercises, repoDir } from "./support.ts";

const manifest = JSON.parse(readFileSync(join(repoDir, "manifest.json"), "utf8")) as { config: Record<string, unknown>; include: string[] };

/**
 * Config keys that come from a Moddable manifest manifest.json includes, not from manifest.json itself. mcconfig
 * merges them into the same config object, so `sntp=` on the command line reaches the SDK's setup/network.
 */
const SDK_KEYS: Record<string, { manifest: string; value: string }> = {
  // examples/manifest_net.json: "config": { "sntp": "pool.ntp.org" }; read by build/devices/esp32/setup/network.js,
  // which asks that server for the time before main runs, unless config.sntp is empty.
  sntp: { manifest: "examples/manifest_net.json", value: "pool.ntp.org" },
};

/**
 * Scenario words that only make sense in the simulator, with why a bench line need not copy them. Any other word a
 * lab's scenario sets on a board must appear, with the same value, in a bench line of that board's role.
 */
const SIM_ONLY: { key: string; applies: (value: string) => boolean; why: string }[] = [
  { key: "server", applies: (v) => v.startsWith("@"), why: "`@board` is the simulator's name for a board's address; on the bench `server=auto` or the server's IP" },
  { key: "beaconMs", applies: (v) => v === "0", why: "scenarios that name the server's address switch the beacon off; bench clients find the server by it (`server=auto`)" },
];

export interface ConfigLine {
  /** Repository-relative file and 1-based line. */
  where: string;
  command: string;
  /** The key=value words, in order, values unquoted. */
  words: { key: string; value: string }[];
}

const KEY = /^([A-Za-z_$][\w$]*)=(.*)$/s;

/** Shell-like words: "double" and 'single' quotes group and are removed; a bare # starts a comment. */
function shellWords(text: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unterminated ${c} in: ${text}`);
      word += text.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === " " || c === "\t") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else if (c === "#" && !inWord) break;
    else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** A shell command that runs mcconfig or `npx linklab build|run` (after optional VAR=value assignments). */
const COMMAND = /^\s*(?:\$\s+)?(?:[A-Z_]+=\S*\s+)*(?:mcconfig\s|(?:npx\s+)?linklab\s+(?:build|run)\b)/;

/** The command words after `mcconfig` or `linklab build|run`, or undefined when the text runs neither. */
function commandWords(text: string): { command: string; words: string[] } | undefined {
  const part = text.split(/&&|;/).find((p) => COMMAND.test(p));
  if (part === undefined) return undefined;
  const words = shellWords(part);
  const at = words.findIndex((w, i) => w === "mcconfig" || (w === "linklab" && (words[i + 1] === "build" || words[i + 1] === "run")));
  if (at < 0) return undefined;
  const command = words[at] === "mcconfig" ? "mcconfig" : `linklab ${words[at + 1]}`;
  return { command, words: words.slice(at + (command === "mcconfig" ? 1 : 2)) };
}

/** Every config line of a markdown file: lines of fenced blocks (with `\` continuations) and `inline code` spans. */
export function configLines(markdown: string, file: string): ConfigLine[] {
  const out: ConfigLine[] = [];
  const add = (text: string, line: number): void => {
    const found = commandWords(text);
    if (!found) return;
    const words = found.words
      .map((w) => KEY.exec(w))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ key: m[1], value: m[2] }));
    out.push({ where: `${file}:${line}`, command: found.command, words });
  };
  const lines = markdown.split(/\r?\n/);
  let fence = "";
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i];
    const open = /^\s*(```+|~~~+)/.exec(text);
    if (!fence && open) {
      fence = open[1];
      continue;
    }
    if (fence) {
      if (text.trim().startsWith(fence)) {
        fence = "";
        continue;
      }
      let joined = text;
      const first = i;
      while (joined.endsWith("\\") && i + 1 < lines.length) joined = joined.slice(0, -1) + " " + lines[++i];
      add(joined, first + 1);
      continue;
    }
    for (const span of text.matchAll(/`([^`]+)`/g)) add(span[1], i + 1);
  }
  return out;
}

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith(".md") ? [path] : [];
  });
}

/** A value written as a placeholder for the reader to fill in (`server=<the server's IP>`, `role=...`). */
const placeholder = (value: string): boolean => value.includes("<") || value.includes("...");

let linesOfDocs: ConfigLine[] | undefined;
/** The config lines of README.md and every page under docs/ (read once, when a test first asks). */
function docLines(): ConfigLine[] {
  linesOfDocs ??= [join(repoDir, "README.md"), ...markdownFiles(join(repoDir, "docs"))].flatMap((path) => configLines(readFileSync(path, "utf8"), relative(repoDir, path)));
  return linesOfDocs;
}


function roleOf(config: Record<string, string>): string {
  return config.role ?? "both";
}

describe("config words in the docs' mcconfig lines", () => {
  it("finds the build lines of the docs (flashing.md's server and client, every exercise's bench set-up)", () => {
    assert.ok(docLines().some((l) => l.where.startsWith("docs/flashing.md:") && l.command === "mcconfig"), "no mcconfig line in docs/flashing.md");
    for (const exercise of exercises()) assert.ok(docLines().some((l) => l.where.startsWith(exercise.doc + ":") && l.command === "mcconfig"), `${exercise.doc} has no mcconfig line`);
  });

  it("reads quoted words, continuations and inline code the way a shell does", () => {
    const lines = configLines(
      ['Run `mcconfig -d -m -p esp32 ssid="lab net" role=server`.', "```sh", "UPLOAD_PORT=COM3 mcconfig -d -m -p esp32 \\", "  role=client sntp= # a comment id=x", "```"].join("\n"),
      "x.md",
    );
    assert.deepEqual(
      lines.map((l) => [l.where, l.words.map((w) => `${w.key}=${w.value}`).join(" ")]),
      [
        ["x.md:1", "ssid=lab net role=server"],
        ["x.md:3", "role=client sntp="],
      ],
    );
  });

  it("uses only keys that manifest.json's config (or an SDK manifest it includes) defines", () => {
    // `key=value ...` in a usage line is the generic word, not a key.
    const unknown = docLines().flatMap((line) =>
      line.words.filter((w) => !(w.key in manifest.config) && !(w.key in SDK_KEYS) && !(w.key === "key" && placeholder(w.value))).map((w) => `${line.where}: ${line.command} ... ${w.key}=${w.value}`),
    );
    assert.deepEqual(unknown, [], `keys that are no config of the firmware (mcconfig would accept them and the board ignore them)`);
  });

  it("sets only values the firmware accepts (modules/settings.ts readSettings reports no problem)", () => {
    const refused: string[] = [];
    for (const line of docLines()) {
      const config: Record<string, unknown> = { ...manifest.config };
      for (const w of line.words) if (w.key in manifest.config && !placeholder(w.value)) config[w.key] = w.value;
      for (const p of readSettings(config).problems) refused.push(`${line.where}: ${p.key}=${p.value} (allowed: ${p.allowed})`);
    }
    assert.deepEqual(refused, []);
  });

  it("SDK keys are really in the SDK manifests that manifest.json includes (with an SDK)", function () {
    const sdk = findSdk();
    if (!isSdk(sdk)) {
      console.log(`    skipped: ${sdk.missing}`);
      this.skip();
    }
    for (const [key, from] of Object.entries(SDK_KEYS)) {
      assert.ok(manifest.include.includes(`$(MODDABLE)/${from.manifest}`), `manifest.json does not include ${from.manifest}`);
      const path = join(sdk.root, from.manifest);
      assert.ok(existsSync(path), `${path} is missing`);
      const config = (JSON.parse(readFileSync(path, "utf8")) as { config?: Record<string, unknown> }).config ?? {};
      assert.equal(config[key], from.value, `${from.manifest} config.${key}`);
    }
  });
});

describe("each exercise's bench set-up carries the config of its scenario", () => {
  for (const exercise of exercises()) {
    it(`${exercise.doc}: a bench line for every board of lab-${exercise.number}.lab`, () => {
      const bench = docLines().filter((l) => l.where.startsWith(exercise.doc + ":") && l.command === "mcconfig");
      const missing: string[] = [];
      for (const board of loadScenario(exercise.scenarioFile).boards) {
        const wanted = Object.entries(board.config).filter(([key, value]) => key !== "role" && !SIM_ONLY.some((s) => s.key === key && s.applies(value)));
        const covers = (line: ConfigLine): boolean => {
          const config = Object.fromEntries(line.words.map((w) => [w.key, w.value]));
          return roleOf(config) === roleOf(board.config) && wanted.every(([key, value]) => config[key] === value);
        };
        if (!bench.some(covers)) missing.push(describeBoard(board, wanted, bench));
      }
      assert.deepEqual(missing, [], `${exercise.doc}: no mcconfig line sets what these boards of host-sim/scenarios/lab-${exercise.number}.lab use`);
    });
  }
});

function describeBoard(board: BoardSpec, wanted: [string, string][], bench: ConfigLine[]): string {
  const role = roleOf(board.config);
  const sameRole = bench.filter((l) => roleOf(Object.fromEntries(l.words.map((w) => [w.key, w.value]))) === role);
  return `board ${board.id} (role=${role}) needs ${wanted.map(([k, v]) => `${k}=${v}`).join(" ") || "(nothing)"}; lines of that role: ${sameRole.map((l) => l.where).join(", ") || "none"}`;
}
