// `linklab report RUN.json [-o run.html]`: one self-contained HTML file (the page with its script, its style and the
// run inside it; nothing fetched when it opens) holding the diagrams, the timeline, the summary and the log. RUN.json
// is the --json file of `linklab lab`, or a recorded event file. Exit 0 written, 2 unreadable input or bad usage.

import { readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { ANCHORS } from "../lab/faults.ts";
import { pageHtml } from "./page.ts";
import { parseRecord, RecordError, type RunRecord } from "./record.ts";

export const reportUsage = "usage: linklab report RUN.json [-o run.html]   (RUN.json: the file of `linklab lab <scenario> --json RUN.json`)";

/** Read a run file, or throw RecordError saying why not. */
export function readRun(file: string): RunRecord {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new RecordError(`${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return parseRecord(text, basename(file), Object.keys(ANCHORS));
}

/** The report's HTML for a run. */
export function reportHtml(record: RunRecord): Promise<string> {
  return pageHtml({ live: false, title: `linklab report: ${record.header.title || record.header.file}`, run: record });
}

export async function main(args: string[]): Promise<void> {
  let input: string | undefined;
  let output: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "-o" || arg === "--output") {
      output = args[++i];
      if (!output) return fail(`${arg} needs a file name`);
    } else if (arg === "-h" || arg === "--help") {
      process.stdout.write(reportUsage + "\n");
      return;
    } else if (arg.startsWith("-")) return fail(`unknown option '${arg}'`);
    else if (input === undefined) input = arg;
    else return fail(`one run at a time (got '${input}' and '${arg}')`);
  }
  if (!input) return fail("which run? give the --json file of a lab run");
  output ??= input.replace(/\.(json|jsonl|ndjson)$/i, "") + ".html";
  let record: RunRecord;
  try {
    record = readRun(input);
  } catch (error) {
    if (!(error instanceof RecordError)) throw error;
    return fail(error.message, false);
  }
  for (const problem of record.problems) process.stderr.write(`linklab report: warning: ${problem}\n`);
  const html = await reportHtml(record);
  writeFileSync(output, html);
  process.stdout.write(`linklab report: wrote ${output} (${(html.length / 1024).toFixed(0)} KiB, ${record.events.length} events; opens without network)\n`);
}

function fail(message: string, withUsage = true): void {
  process.stderr.write(`linklab report: ${message}\n${withUsage ? reportUsage + "\n" : ""}`);
  process.exitCode = 2;
}
