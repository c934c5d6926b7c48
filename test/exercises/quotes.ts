// The log lines a lab exercise (docs/labs/*.md) quotes, and the rule that decides whether a real run printed them.
// Pure functions: the docs test runs the lab's scenario and hands its lines here; nothing here starts a board.
//
// A quote is a line inside a fenced ```log block. It is a line as `linklab lab` prints it, or as the board's serial
// port prints it:
//
//      3.2 server | 3245 I tcp.server: connection accepted (SYN, SYN/ACK, ACK done) session=1 proto=tcp ...
//   server | 3245 I tcp.server: ...            (lab time left out)
//   3245 I tcp.server: ...                      (a bare serial line: any board may have printed it)
//      4.0 lab    * c1: Wi-Fi drops for 1s (its traffic stops both ways)
//   ...                                         (a line of its own: lines left out here; not checked)
//
// The matching rule (docs/labs/README.md, "How the quotes are checked"):
//  - the lab time and the board's milliseconds are ignored;
//  - the board, when given, must be the board that printed the line;
//  - the level, the tag and the fixed message must be equal;
//  - the keys must be the same keys in the same order;
//  - in each value (and in a lab line's text) every run of digits stands for any run of digits, and everything
//    else must be equal: `peer=127.0.71.3:40312` matches `peer=127.0.71.3:51877`, `reason=welcome` only itself.
import { parseLogLine, type LogLine } from "../../host-sim/lab/events.ts";

export type Quote =
  | { kind: "board"; source: string; line: number; board?: string; log: LogLine }
  | { kind: "lab"; source: string; line: number; text: string };

/** A line a run produced: a board's serial line (board id + text) or a lab line (board "lab"). */
export interface RunLine {
  board: string;
  text: string;
}

const LAB_PREFIX = /^\s*(?:(?:boot|\d+(?:\.\d+)?)\s+)?([A-Za-z][\w-]*)\s+([|*])\s(.*)$/;

/** Every quote in a markdown text: the lines of its ```log fences. Malformed quotes throw, naming file:line. */
export function extractQuotes(markdown: string, source: string): Quote[] {
  const quotes: Quote[] = [];
  let inLog = false;
  let fence = "";
  const lines = markdown.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const text = lines[index];
    const open = /^(\s*)(```+|~~~+)\s*(\S*)/.exec(text);
    if (!fence && open) {
      fence = open[2];
      inLog = open[3] === "log";
      continue;
    }
    if (fence && text.trim().startsWith(fence)) {
      fence = "";
      inLog = false;
      continue;
    }
    if (!inLog || text.trim() === "" || text.trim() === "...") continue;
    quotes.push(parseQuote(text, source, index + 1));
  }
  if (fence) throw new Error(`${source}: a fenced block is never closed`);
  return quotes;
}

export function parseQuote(text: string, source: string, line: number): Quote {
  const prefixed = LAB_PREFIX.exec(text);
  if (prefixed && prefixed[2] === "*") {
    if (prefixed[1] !== "lab") throw new Error(`${source}:${line}: only the lab's own lines are marked '*': ${text.trim()}`);
    return { kind: "lab", source, line, text: prefixed[3].trim() };
  }
  const board = prefixed ? prefixed[1] : undefined;
  const log = parseLogLine(prefixed ? prefixed[3] : text);
  if (!log) throw new Error(`${source}:${line}: not a serial log line ('<ms> <LEVEL> <tag>: <message> key=value'): ${text.trim()}`);
  return { kind: "board", source, line, board, log };
}

/** A value with each run of digits as a wildcard for any run of digits; everything else literal. */
export function valuePattern(value: string): RegExp {
  const parts = value.split(/\d+/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp("^" + parts.join("\\d+") + "$");
}

/** Why a real serial line does not match a quote, or undefined when it does. */
export function mismatch(quote: LogLine, real: LogLine): string | undefined {
  if (quote.level !== real.level) return `level ${real.level}, not ${quote.level}`;
  if (quote.tag !== real.tag) return `tag ${real.tag}, not ${quote.tag}`;
  if (quote.message !== real.message) return "another message";
  const quoteKeys = Object.keys(quote.fields);
  const realKeys = Object.keys(real.fields);
  if (quoteKeys.join(" ") !== realKeys.join(" ")) return `keys '${realKeys.join(" ")}', not '${quoteKeys.join(" ")}'`;
  for (const key of quoteKeys) {
    if (!valuePattern(quote.fields[key]).test(real.fields[key])) return `${key}=${real.fields[key]}, not ${key}=${quote.fields[key]}`;
  }
  return undefined;
}

/** Whether the run printed the quote; when not, the closest lines it did print (same tag and message), to show. */
export function findQuote(quote: Quote, run: RunLine[]): { found: boolean; near: string[] } {
  const near: string[] = [];
  if (quote.kind === "lab") {
    const pattern = valuePattern(quote.text);
    return { found: run.some((l) => l.board === "lab" && pattern.test(l.text.trim())), near };
  }
  for (const candidate of run) {
    if (candidate.board === "lab" || (quote.board !== undefined && candidate.board !== quote.board)) continue;
    const real = parseLogLine(candidate.text);
    if (!real) continue;
    const why = mismatch(quote.log, real);
    if (why === undefined) return { found: true, near: [] };
    if (real.tag === quote.log.tag && real.message === quote.log.message && near.length < 3) near.push(`${candidate.board}: ${candidate.text.trim()} (${why})`);
  }
  return { found: false, near };
}
