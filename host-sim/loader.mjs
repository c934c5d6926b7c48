// Node module hooks for the simulator: bind Moddable module names to host-sim files (the one seam between the
// firmware and Node), bind an app's own module names the way its manifest.json does, and hand TypeScript to
// ts-node. A name that is neither a Moddable module we provide nor in the app's manifest falls through to Node
// (and so fails there, as it would fail to link in mcconfig).
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve as resolvePath } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

// ts-node (and with it the TypeScript compiler) loads only when a file is not in the transpile cache
// (ts-cache.mjs) or a specifier needs its resolver: a warm board starts without it.
let tsNode;
const typescriptHooks = async () => (tsNode ??= await import("ts-node/esm"));

/** Moddable module specifier -> host-sim implementation. */
export const moddableModules = {
  "embedded:io/socket/tcp": "runtime/tcp.ts",
  "embedded:io/socket/listener": "runtime/listener.ts",
  "embedded:io/socket/udp": "runtime/udp.ts",
  "timer": "runtime/timer.ts",
  "time": "runtime/time.ts",
  "mc/config": "runtime/config.ts",
  "wifi": "runtime/wifi.ts",
  "net": "runtime/net.ts",
  "embedded:io/digital": "runtime/digital.ts",
};

const manifests = new Map(); // directory -> parsed module table or null

function manifestFor(startDir) {
  for (let dir = startDir; ; dir = dirname(dir)) {
    if (!manifests.has(dir)) {
      const file = join(dir, "manifest.json");
      manifests.set(dir, existsSync(file) ? moduleTable(dir, file) : null);
    }
    const table = manifests.get(dir);
    if (table) return table;
    if (dirname(dir) === dir) return null;
  }
}

/** The manifest's "modules" section as [namePattern, pathPattern] pairs; paths outside the app ($(...)) are skipped. */
function moduleTable(dir, file) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return null;
  }
  const pairs = [];
  for (const [name, value] of Object.entries(manifest.modules ?? {})) {
    for (const path of [value].flat()) {
      if (typeof path === "string" && !path.includes("$(")) pairs.push([name, resolvePath(dir, path)]);
    }
  }
  return pairs;
}

function findSource(base) {
  for (const ext of [".ts", ".js", ".mjs"]) if (existsSync(base + ext)) return base + ext;
  return undefined;
}

/** Where an app module name lives according to the manifest nearest to the importer, or undefined. */
export function appModulePath(specifier, importerDir) {
  const table = manifestFor(importerDir);
  if (!table) return undefined;
  for (const [name, path] of table) {
    if (name === "*") {
      if (!path.endsWith("*")) {
        if (path.endsWith("/" + specifier)) return findSource(path);
      } else if (!specifier.includes("/")) {
        const found = findSource(path.slice(0, -1) + specifier);
        if (found) return found;
      }
    } else if (name.endsWith("/*") && path.endsWith("*")) {
      const prefix = name.slice(0, -1);
      if (specifier.startsWith(prefix)) {
        const found = findSource(path.slice(0, -1) + specifier.slice(prefix.length));
        if (found) return found;
      }
    } else if (name === specifier) {
      return findSource(path);
    }
  }
  return undefined;
}

export async function resolve(specifier, context, nextResolve) {
  const builtin = moddableModules[specifier];
  if (builtin) return { url: pathToFileURL(join(here, builtin)).href, shortCircuit: true };
  if (!specifier.startsWith(".") && !specifier.startsWith("/") && !specifier.includes(":") && context.parentURL?.startsWith("file:")) {
    const found = appModulePath(specifier, dirname(fileURLToPath(context.parentURL)));
    if (found) return { url: pathToFileURL(found).href, format: "module", shortCircuit: true };
  }
  let result;
  try {
    result = await nextResolve(specifier, context);
  } catch (error) {
    if (error?.code !== "ERR_MODULE_NOT_FOUND") throw error;
    result = await (await typescriptHooks()).resolve(specifier, context, nextResolve); // e.g. "./x.js" meaning x.ts
  }
  // Moddable modules are always ES modules, whatever package.json (if any) sits above an app directory.
  if (/^file:.*\.(ts|js)$/.test(result.url) && !result.url.includes("/node_modules/")) return { ...result, format: "module" };
  return result;
}

export async function load(url, context, nextLoad) {
  if (/^file:.*\.ts$/.test(url)) return (await typescriptHooks()).load(url, context, nextLoad);
  return nextLoad(url, context);
}
