#!/usr/bin/env node
// `linklab` executable: install the simulator's module hooks in this process, then run the CLI.
import "./register.mjs";
await import("./cli.ts");
