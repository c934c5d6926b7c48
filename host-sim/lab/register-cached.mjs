// What the lab starts each board with: `node --import host-sim/lab/register-cached.mjs host-sim/cli.ts run ...`
// is `node host-sim/bin.mjs run ...` (the simulator's hooks, host-sim/register.mjs) with the lab's transpile cache
// (ts-cache.mjs) registered after them, so it runs first.
import "../register.mjs";
import { register } from "node:module";

register("./ts-cache.mjs", import.meta.url);
