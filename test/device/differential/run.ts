// Running the differential cases (cases/*.js) and reading their transcripts. Shared by the device suite, which
// runs them on real XS (mcsim) and keeps lin/<case>.txt true, and by test/runtime/differential.test.ts, which
// runs them on the host runtime and compares with those recorded lin transcripts.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Child, linklabBin } from "../../support/child.ts";
import { known, type KnownDifference } from "./known.ts";

export const source = dirname(fileURLToPath(import.meta.url));
export const cases = readdirSync(join(source, "cases"))
  .filter((file) => file.endsWith(".js"))
  .map((file) => file.slice(0, -3))
  .sort();

/** The last line of a case: its end, a wait that ran out, or the machine's abort. */
export const DONE = /diff [\w-]+: (end|stopped)|^XS abort/;
/** How long one case may take on either runtime. */
export const CASE_MS = 20_000;

/** The case app in a fresh directory with its manifest: the same files for both runtimes. */
export function caseApp(): string {
  const dir = mkdtempSync(join(tmpdir(), "linklab-differential-"));
  cpSync(source, dir, { recursive: true, filter: (path) => !path.endsWith(".ts") && !path.includes("/lin") });
  const manifest = {
    include: ["$(MODDABLE)/examples/manifest_base.json", "$(MODDABLE)/examples/manifest_net.json", "$(MODDABLE)/modules/io/manifest.json"],
    modules: { "*": ["./main", "./peer"], "cases/*": "./cases/*" },
    strip: [],
    // main awaits at its top level (the peer service, then the case).
    defines: { main: { async: 1 } },
    config: { control: "" },
  };
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest, null, "\t") + "\n");
  return dir;
}

/** The comparable lines of a run: `diff <case>: ...` (wherever lin's printf left it in a line) and `XS abort`. */
export function transcript(lines: string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const at = line.indexOf("diff ");
    if (at >= 0) out.push(line.slice(at));
    else if (/^XS abort\b/.test(line)) out.push(line.trim());
  }
  return out;
}

/** One case under `linklab run`, as a person would run the app; the peer service must have `next` set to it. */
export async function runOnHost(app: string, control: string): Promise<string[]> {
  const child = new Child([linklabBin, "run", app, `control=${control}`]);
  try {
    await Promise.race([child.waitForLine(DONE, CASE_MS).catch(() => {}), child.exited]);
    return transcript([...child.stdout, ...child.stderr]);
  } finally {
    child.process.kill("SIGKILL");
    await child.exited;
  }
}

const recordedDir = join(source, "lin");
/** What real XS printed for a case (mcsim, Moddable SDK 8.2.3 lin), as recorded; undefined if never recorded. */
export function recorded(name: string): string[] | undefined {
  const file = join(recordedDir, name + ".txt");
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter((line) => line !== "") : undefined;
}
export function record(name: string, lines: string[]): void {
  writeFileSync(join(recordedDir, name + ".txt"), lines.join("\n") + "\n");
}

export type Comparison = { explained: KnownDifference[]; unexplained: string[] };

/**
 * Line by line: equal lines pass; a differing pair (or a line only one side has) passes only when known.ts lists
 * it for that case; anything else is unexplained.
 */
export function compare(name: string, host: string[], lin: string[]): Comparison {
  const result: Comparison = { explained: [], unexplained: [] };
  const strip = (line: string | undefined): string | undefined => line?.replace(`diff ${name}: `, "");
  let i = 0;
  let j = 0;
  while (i < lin.length || j < host.length) {
    if (lin[i] === host[j]) {
      i++;
      j++;
      continue;
    }
    const l = strip(lin[i]);
    const h = strip(host[j]);
    const entry =
      known.find((k) => k.case === name && k.lin === l && k.host === h) ??
      known.find((k) => k.case === name && k.lin === undefined && k.host === h) ??
      known.find((k) => k.case === name && k.lin === l && k.host === undefined);
    if (!entry) {
      result.unexplained.push(`lin:  ${lin[i] ?? "(nothing)"}\nhost: ${host[j] ?? "(nothing)"}`);
      i++;
      j++;
      continue;
    }
    result.explained.push(entry);
    if (entry.lin !== undefined) i++;
    if (entry.host !== undefined) j++;
  }
  return result;
}
