// ESLint for the whole repository, run by `npm run lint` and by test/toolchain/lint.test.ts (so `npm test` fails on
// any problem). No rule of the recommended sets is turned off, here or inline; the three that are configured
// (no-unused-vars, no-this-alias, and no-restricted-imports for the firmware) say why below.
//
// Four kinds of file, as the two type worlds divide them (README, "Layout"):
//   firmware   main.ts, modules/          TypeScript against the Moddable declarations (tsconfig.json), type-aware;
//                                          Node modules cannot be imported
//   host       host-sim/, test/, bench/   TypeScript against Node (tsconfig.host.json), type-aware
//   node js    host-sim/*.mjs, *.cjs      plain JavaScript run by Node (loader hooks, the mocha reporter)
//   xs js      Moddable apps in test/     plain JavaScript apps run by XS (mcsim) and by `linklab run`: XS globals
import { builtinModules } from "node:module";
import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

const firmware = ["main.ts", "modules/**/*.ts"];
const host = ["host-sim/**/*.{ts,mts}", "test/**/*.ts", "bench/**/*.ts"];
const xsApps = ["test/device/**/*.js", "test/fixtures/**/*.js", "test/engine/fixtures/**/*.js"];

/**
 * The globals XS gives an app (xs/sources, Moddable's modules/base) that these apps use: `trace` prints to the serial
 * log; `Native` and `native` bind host (C) functions (test/device/testmc/host-objects-xs.js, as tools/testmc does).
 */
const xsGlobals = { trace: "readonly", Native: "readonly", native: "readonly" };

/**
 * Options of no-unused-vars: a name that starts with "_" is unused on purpose (the parameter a callback's signature
 * requires). That is the convention noUnusedParameters (both tsconfigs) accepts; the rule's defaults do not know it.
 */
const unusedUnderscore = { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" };

/**
 * Node builtins a firmware file may not import, all of them but those the Moddable SDK also provides under the same
 * name (each declared in @moddable/typings): main.ts imports Moddable's `net`.
 */
const moddableToo = new Set(["console", "dns", "http", "net", "url"]);
const nodeOnly = builtinModules.filter((name) => !name.startsWith("_") && !moddableToo.has(name));
const nodeMessage = "Firmware runs on XS, where Node modules are not: import a Moddable module or linklab/*.";

export default defineConfig(
  globalIgnores(["build/", "bench/results/"]),

  js.configs.recommended,
  {
    files: ["**/*.{js,mjs,cjs}"],
    rules: { "no-unused-vars": ["error", unusedUnderscore] },
  },
  {
    files: [...firmware, ...host],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { tsconfigRootDir: import.meta.dirname } },
    rules: {
      // ECMA-419 calls a socket's callbacks with the socket as `this`, so a callback that also needs its owner takes
      // it from `const self = this` (modules/conn.ts, server.ts, beacon.ts; the fake network's socket classes in
      // test/support/fakes.ts likewise); an arrow function would lose the socket. Any other alias of `this` is an error.
      "@typescript-eslint/no-this-alias": ["error", { allowedNames: ["self"] }],
      "@typescript-eslint/no-unused-vars": ["error", unusedUnderscore],
    },
  },
  {
    files: firmware,
    languageOptions: { parserOptions: { project: "./tsconfig.json" } },
    rules: {
      // The firmware runs on XS: it imports only Moddable module names and its own linklab/* modules. Node's are
      // invisible to tsconfig.json already (no @types/node there); this says so by name, for every Node builtin.
      "no-restricted-imports": [
        "error",
        {
          paths: nodeOnly.map((name) => ({ name, message: nodeMessage })),
          patterns: [{ group: ["node:*"], message: nodeMessage }],
        },
      ],
    },
  },
  {
    files: host,
    languageOptions: { parserOptions: { project: "./tsconfig.host.json" } },
  },

  {
    files: ["**/*.mjs", "**/*.cjs"],
    languageOptions: { globals: globals.node },
  },
  {
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs" },
  },
  {
    files: xsApps,
    // ecmaVersion 2025 also gives the standard globals of that edition (the target mcconfig compiles for, tsconfig.json).
    languageOptions: { ecmaVersion: 2025, sourceType: "module", globals: xsGlobals },
  },
  {
    // testmc's harness global, which test/device/testmc/globals.js defines on globalThis and then calls.
    files: ["test/device/testmc/*.js"],
    languageOptions: { globals: { $DONE: "readonly" } },
  },
);
