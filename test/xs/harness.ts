// Test-only helpers over the XS harness (host-sim/harness/xs.ts, which bench/xs-memory.ts uses too): one export
// of a firmware module run once on a fresh XS machine, and the same export run in this Node process, to compare.
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { XSSession, type XSRun } from "../../host-sim/harness/xs.ts";

/**
 * Import `file` on a fresh XS machine and call its export `name` once; returns the JSON round trip of its result.
 * Errors thrown in XS come back as an Error naming what XS lacks, where it can tell.
 */
export async function runInXS<T = unknown>(file: string, name: string, args: unknown[] = []): Promise<XSRun<T>> {
  const session = await XSSession.open(file);
  try {
    return await session.call<T>(name, args);
  } finally {
    session.close();
  }
}

/** The same export run in this Node process (through the simulator's module hooks), JSON round-tripped. */
export async function runInNode<T = unknown>(file: string, name: string, args: unknown[] = []): Promise<T> {
  const module = (await import(pathToFileURL(isAbsolute(file) ? file : resolve(file)).href)) as Record<string, (...a: unknown[]) => unknown>;
  const value = await module[name](...args);
  return JSON.parse(JSON.stringify(value === undefined ? null : value)) as T;
}
