// `node --import ./host-sim/register.mjs ...` : installs the simulator's module hooks (Moddable module names and
// TypeScript via ts-node, transpile-only; typechecking is a separate test) in this process.
import { register } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
process.env.TS_NODE_PROJECT ??= join(here, "..", "tsconfig.host.json");
process.env.TS_NODE_TRANSPILE_ONLY ??= "true";
// Emit ES modules for every .ts file, including app directories outside this package (Moddable modules are ESM).
process.env.TS_NODE_COMPILER_OPTIONS ??= JSON.stringify({ module: "esnext", moduleResolution: "bundler" });
register("./loader.mjs", import.meta.url);
// Registered last, so it runs first: a disk cache of transpiled .ts files (ts-cache.mjs).
register("./ts-cache.mjs", import.meta.url);
