// A Moddable app directory as the simulator sees it: its manifest.json (config defaults, modules) and its entry
// module, plus mcconfig-style key=value words. Errors are one line each, for the CLI to print before exiting 2.
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

export class AppError extends Error {}

export interface App {
  dir: string;
  entry: string;
  defaults: Record<string, unknown>;
}

export function loadApp(dirArg: string): App {
  const dir = resolve(dirArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new AppError(`app directory not found: ${dirArg}`);
  const manifestPath = join(dir, "manifest.json");
  if (!existsSync(manifestPath)) throw new AppError(`no manifest.json in ${dir}`);
  let manifest: { config?: unknown };
  try {
    manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as typeof manifest;
  } catch (error) {
    throw new AppError(`manifest.json is not valid JSON: ${(error as Error).message}`);
  }
  const config = manifest.config ?? {};
  if (typeof config !== "object" || config === null || Array.isArray(config))
    throw new AppError(`manifest.json "config" must be an object`);
  const entry = ["main.ts", "main.js"].map((name) => join(dir, name)).find(existsSync);
  if (!entry) throw new AppError(`no main.ts or main.js in ${dir}`);
  return { dir, entry, defaults: config as Record<string, unknown> };
}

/**
 * Split command words the way mcconfig does (tools/mcmanifest.js): a word with "=" is a config override whose key
 * is the text before the first "=" and whose value (a string) is the rest; any other word is the app directory.
 */
export function parseWords(words: string[]): { dir?: string; overrides: Record<string, string> } {
  const overrides: Record<string, string> = {};
  let dir: string | undefined;
  for (const word of words) {
    const at = word.indexOf("=");
    if (at < 0) {
      if (dir !== undefined) throw new AppError(`'${word}': too many app directories (already have '${dir}')`);
      dir = word;
      continue;
    }
    const key = word.slice(0, at);
    if (!/^[A-Za-z_$][\w$]*$/.test(key)) throw new AppError(`bad config word '${word}': expected key=value with a key like heartbeatMs`);
    overrides[key] = word.slice(at + 1);
  }
  return { dir, overrides };
}

/**
 * Defaults plus overrides. A key the manifest does not declare goes into the config anyway, as mcconfig puts any
 * key=value word into mc/config (tools/mcmanifest.js), with a warning: it is almost always a typo.
 */
export function mergeConfig(app: App, overrides: Record<string, string>): { config: Record<string, unknown>; warnings: string[] } {
  const warnings: string[] = [];
  for (const key of Object.keys(overrides)) {
    if (!(key in app.defaults)) {
      const known = Object.keys(app.defaults);
      const hint = known.length ? `; known keys: ${known.join(" ")}` : "; manifest.json declares no config keys";
      warnings.push(`config key '${key}' is not in manifest.json "config" (passed on as mcconfig would, but the app may never read it)${hint}`);
    }
  }
  return { config: { ...app.defaults, ...overrides }, warnings };
}
