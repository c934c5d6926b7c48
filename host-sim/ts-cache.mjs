// Module hooks registered after the simulator's own (host-sim/register.mjs) so they run first: a
// content-addressed disk cache of the JavaScript ts-node makes from each .ts file, so the many boards a lab starts,
// and starts again, transpile each file once instead of once per process (a board boots in ~0.5 s, not 2-3 s). A miss, a
// corrupt entry or an unwritable cache falls through to the simulator's hooks; an entry is keyed by the file's URL
// and text and the TypeScript setup, so it is never stale.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
function readOrEmpty(path) {
  try {
    return path ? readFileSync(path, "utf8") : "";
  } catch {
    return "";
  }
}

/** Everything besides a file's own text that shapes ts-node's output for it. */
const setup = [
  require("typescript/package.json").version,
  require("ts-node/package.json").version,
  process.env.TS_NODE_PROJECT,
  readOrEmpty(process.env.TS_NODE_PROJECT),
  process.env.TS_NODE_COMPILER_OPTIONS,
  process.env.TS_NODE_TRANSPILE_ONLY,
].join("\0");
const cacheDir = join(tmpdir(), "linklab-ts-cache");

export async function load(url, context, nextLoad) {
  if (!url.startsWith("file:") || !url.endsWith(".ts")) return nextLoad(url, context);
  let entry;
  try {
    const text = readFileSync(fileURLToPath(url), "utf8");
    entry = join(cacheDir, createHash("sha256").update(`${setup}\0${url}\0${text}`).digest("hex") + ".js");
    return { format: "module", source: readFileSync(entry, "utf8"), shortCircuit: true };
  } catch {
    // Not cached yet (or unreadable): the simulator's hooks transpile it below.
  }
  const result = await nextLoad(url, context);
  if (entry && result.format === "module" && result.source !== undefined && result.source !== null) {
    try {
      mkdirSync(cacheDir, { recursive: true });
      const partial = `${entry}.${process.pid}.tmp`;
      writeFileSync(partial, typeof result.source === "string" ? result.source : Buffer.from(result.source));
      renameSync(partial, entry); // atomic: a board starting at the same moment reads all of it or none
    } catch {
      // A cache that cannot be written only costs time.
    }
  }
  return result;
}
