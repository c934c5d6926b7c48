// Runs firmware modules on the real XS engine (@agoric/xsnap's xsnap-worker, built from C at npm install), for the
// XS tests (test/xs/) and the XS memory bench (bench/xs-memory.ts). Each module is compiled the way mcconfig does
// (TypeScript, module "preserve", target es2025, one file at a time) and loaded by XS's own module loader; a call's
// result comes back as JSON. A module that imports or calls something the board does not have fails with an Error
// that names it. Test-only helpers (runInXS, runInNode) are in test/xs/harness.ts.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { appModulePath } from "../loader.mjs";
import { esp32Modules, sdkRelease } from "../moddable/esp32-modules.ts";

const here = dirname(fileURLToPath(import.meta.url));
export const repoDir = resolve(here, "..", "..");

/**
 * Moddable module name -> an XS stand-in (a path relative to this directory) that a module may load instead of the
 * board's module. None is needed yet: the roles are given their Timer, clock and sockets through their constructors, so the vectors
 * hand them fakes. A firmware module that imports a Moddable module directly fails with a message naming it.
 */
export const xsStubs: Record<string, string> = {};

/** Globals xsnap-worker adds for Agoric that a Moddable app on the ESP32 does not have: removed before firmware runs. */
export const xsnapOnlyGlobals = [
  "setImmediate", "gc", "print", "issueCommand", "performance", "currentMeterLimit", "resetMeter",
  "TextDecoder", "TextEncoder", "Base64", "harden",
] as const;

export interface Meter {
  /** Live XS slots after the last collection (xsnap's fxGetCurrentHeapCount). */
  currentHeapCount: number;
  /** Bytes the machine has reserved (slot heaps + chunk heaps), the->allocatedSpace. */
  allocate: number;
  compute: number;
}

const require = createRequire(import.meta.url);

/** Path of the xsnap-worker binary that @agoric/xsnap's postinstall built; throws with the fix when it is missing. */
export function xsnapWorkerPath(): string {
  const packageDir = dirname(require.resolve("@agoric/xsnap/package.json"));
  const platform = process.platform === "darwin" ? "mac" : "lin";
  const bin = join(packageDir, "xsnap-native", "xsnap", "build", "bin", platform, "release", "xsnap-worker");
  if (!existsSync(bin))
    throw new Error(`${bin} is missing: @agoric/xsnap's postinstall did not run. package.json "allowScripts" must allow @agoric/xsnap; then run npm ci (needs cc and make).`);
  return bin;
}

/** The "xsnap 0.15.0 (XS 13.3.0)" line of the worker binary. */
export function xsnapVersion(): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(xsnapWorkerPath(), ["-v"], { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("error", fail);
    child.on("close", () => done(out.trim()));
  });
}

/** One xsnap-worker process, driven over its netstring pipes (fd 3 to the worker, fd 4 back). */
export class XSWorker {
  readonly #child: ChildProcess;
  #input = Buffer.alloc(0);
  #waiting: { done: (message: Buffer) => void; fail: (error: Error) => void } | undefined;
  #exited: Error | undefined;
  #stderr = "";
  #queue: Promise<unknown> = Promise.resolve();

  constructor(name = "linklab") {
    this.#child = spawn(xsnapWorkerPath(), [name], { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] });
    this.#child.stderr!.on("data", (chunk: Buffer) => (this.#stderr += chunk.toString()));
    const fromWorker = this.#child.stdio[4] as NodeJS.ReadableStream;
    fromWorker.on("data", (chunk: Buffer) => this.#receive(chunk));
    this.#child.on("exit", (code, signal) => {
      this.#exited = new Error(`xsnap-worker exited (code ${code}, signal ${signal})${this.#stderr ? ": " + this.#stderr.trim() : ""}`);
      this.#waiting?.fail(this.#exited);
      this.#waiting = undefined;
    });
    this.#child.on("error", (error) => this.#waiting?.fail(error));
  }

  /** What the worker wrote to stderr so far (XS prints module load errors there). */
  get stderr(): string {
    return this.#stderr;
  }

  #receive(chunk: Buffer): void {
    this.#input = Buffer.concat([this.#input, chunk]);
    for (;;) {
      const colon = this.#input.indexOf(0x3a);
      if (colon < 0) return;
      const length = Number(this.#input.subarray(0, colon).toString("latin1"));
      if (this.#input.length < colon + 1 + length + 1) return;
      const message = this.#input.subarray(colon + 1, colon + 1 + length);
      this.#input = this.#input.subarray(colon + 1 + length + 1);
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting?.done(Buffer.from(message));
    }
  }

  #send(command: string): Promise<{ reply: string; meter: Meter }> {
    const run = this.#queue.then(
      () =>
        new Promise<{ reply: string; meter: Meter }>((done, fail) => {
          if (this.#exited) return fail(this.#exited);
          const stderrBefore = this.#stderr.length;
          this.#waiting = {
            fail,
            done: (message) => {
              const kind = String.fromCharCode(message[0]);
              if (kind === "!") {
                const text = message.subarray(1).toString() || this.#stderr.slice(stderrBefore).trim() || "(no message)";
                return fail(new Error(text));
              }
              if (kind !== ".") return fail(new Error(`xsnap protocol: unexpected reply ${message.toString().slice(0, 80)}`));
              const separator = message.indexOf(1);
              const meter = separator > 0 ? (JSON.parse(message.subarray(1, separator).toString()) as Meter) : ({} as Meter);
              done({ reply: message.subarray(separator + 1).toString(), meter });
            },
          };
          const body = Buffer.from(command);
          (this.#child.stdio[3] as NodeJS.WritableStream).write(Buffer.concat([Buffer.from(`${body.length}:`), body, Buffer.from(",")]));
        }),
    );
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Evaluate a script; its completion value must be an ArrayBuffer to come back as text (else reply is ""). */
  evaluate(code: string): Promise<{ reply: string; meter: Meter }> {
    return this.#send("e" + code);
  }

  /** Write a snapshot of the machine to `path` (XS collects garbage first). */
  async write(path: string): Promise<void> {
    await this.#send("w" + path);
  }

  close(): void {
    if (this.#exited) return;
    (this.#child.stdio[3] as NodeJS.WritableStream).end();
    this.#child.kill();
  }
}

/**
 * Turns the xsnap worker into the global environment of a Moddable app on the ESP32: removes xsnap's extras,
 * adds ArrayBuffer.fromString / String.fromArrayBuffer (XS has them on the board; xsnap is built with mxCESU8,
 * which leaves them out), routes trace() to a buffer, and keeps the harness's own tools out of reach under one
 * non-enumerable global.
 */
const prelude = `(() => {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const traced = [];
  const host = {
    traced,
    module: undefined,
    outcome: undefined,
    reply(value) { return encoder.encode(JSON.stringify(value)).buffer; },
    load(path) {
      host.outcome = { done: false };
      import(path).then(
        (namespace) => { host.module = namespace; host.outcome = { done: true }; },
        (error) => { host.outcome = { done: true, error: "loading: " + String(error) }; });
    },
    invoke(name, args) {
      host.outcome = { done: false };
      Promise.resolve().then(() => host.module[name](...args)).then(
        (value) => { host.outcome = { done: true, result: JSON.stringify(value === undefined ? null : value) }; },
        (error) => { host.outcome = { done: true, error: String(error) + (error && error.stack ? "\\n" + error.stack : "") }; });
    },
    take() {
      const outcome = { ...host.outcome, traced: traced.splice(0) };
      host.outcome = undefined;
      return host.reply(outcome);
    },
  };
  for (const name of ${JSON.stringify(xsnapOnlyGlobals)}) delete globalThis[name];
  const define = (target, name, value) => Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable: false });
  define(ArrayBuffer, "fromString", function fromString(string) { return encoder.encode(String(string)).buffer; });
  define(String, "fromArrayBuffer", function fromArrayBuffer(buffer) {
    if (!(buffer instanceof ArrayBuffer)) throw new TypeError("argument: not an ArrayBuffer instance");
    try { return decoder.decode(new Uint8Array(buffer)); } catch { throw new TypeError("invalid UTF-8"); }
  });
  define(globalThis, "trace", function trace(...values) { traced.push(values.map(String).join("")); });
  define(globalThis, "__linklabXS", host);
})()`;

// ----- compiling the module graph -----

export class XSBuildError extends Error {}

interface Compiled {
  out: string;
  mtimeMs: number;
}

let buildDir: string | undefined;
const compiled = new Map<string, Compiled>();

function outDir(): string {
  if (!buildDir) {
    buildDir = mkdtempSync(join(tmpdir(), "linklab-xs-"));
    const dir = buildDir;
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  }
  return buildDir;
}

/** mcconfig's TypeScript options (SDK 8.2.3 tools/mcmanifest.js TSConfigFile): module preserve, target es2025. */
export const mcconfigCompilerOptions: ts.CompilerOptions = {
  module: ts.ModuleKind.Preserve,
  target: ts.ScriptTarget.ES2025,
  forceConsistentCasingInFileNames: true,
  resolveJsonModule: true,
  sourceMap: false,
};

function shortName(file: string): string {
  const rel = relative(repoDir, file);
  return rel.startsWith("..") ? file : rel;
}

/** Firmware is what the manifest maps (modules/, main.ts); it obeys the board's rules. Test files may import relatively. */
function isFirmware(file: string): boolean {
  return /[\\/]modules[\\/][^\\/]+\.ts$/.test(file) || file === join(repoDir, "main.ts");
}

function resolveSpecifier(specifier: string, importer: string): string {
  const who = shortName(importer);
  if (specifier.startsWith(".") || specifier.startsWith("/")) {
    if (isFirmware(importer))
      throw new XSBuildError(`${who} imports '${specifier}': firmware imports only Moddable module names and linklab/* (no relative paths)`);
    const target = resolve(dirname(importer), specifier);
    if (!target.endsWith(".ts") || !existsSync(target)) throw new XSBuildError(`${who} imports '${specifier}', which is not a .ts file that exists`);
    return target;
  }
  const app = appModulePath(specifier, dirname(importer));
  if (app) return app;
  if (specifier.startsWith("linklab/"))
    throw new XSBuildError(`${who} imports '${specifier}', which is not in modules/ (manifest.json maps linklab/* to ./modules/*)`);
  if (!esp32Modules.has(specifier))
    throw new XSBuildError(`${who} imports '${specifier}', which the Moddable SDK ${sdkRelease} does not provide on esp32 (XS has no such module)`);
  const stub = xsStubs[specifier];
  if (!stub || !existsSync(join(here, stub)))
    throw new XSBuildError(`${who} imports '${specifier}' (a Moddable module on esp32) for which the XS harness has no stand-in (xsStubs in host-sim/harness/xs.ts)`);
  return join(here, stub);
}

/** Compile `file` and everything it imports into the build directory; returns the compiled entry's path. */
export function compileGraph(file: string): string {
  const source = resolve(file);
  const mtimeMs = statSync(source).mtimeMs;
  const cached = compiled.get(source);
  if (cached && cached.mtimeMs === mtimeMs) return cached.out;

  const text = readFileSync(source, "utf8");
  const result = ts.transpileModule(text, { compilerOptions: mcconfigCompilerOptions, fileName: source, reportDiagnostics: true });
  const syntax = result.diagnostics?.filter((d) => d.category === ts.DiagnosticCategory.Error) ?? [];
  if (syntax.length)
    throw new XSBuildError(`${shortName(source)}: ${syntax.map((d) => ts.flattenDiagnosticMessageText(d.messageText, " ")).join("; ")}`);

  const out = join(outDir(), source.replace(/^[A-Za-z]:/, "").replace(/\.ts$/, ".js"));
  compiled.set(source, { out, mtimeMs }); // before recursing: import cycles terminate
  const js = result.outputText;
  const parsed = ts.createSourceFile(out, js, ts.ScriptTarget.ES2025, true, ts.ScriptKind.JS);
  const edits: { start: number; end: number; text: string }[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const target = compileGraph(resolveSpecifier(node.moduleSpecifier.text, source));
      edits.push({ start: node.moduleSpecifier.getStart(parsed), end: node.moduleSpecifier.end, text: JSON.stringify(target) });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      throw new XSBuildError(`${shortName(source)} uses import(): the XS harness links modules statically, as the board's preload does`);
    }
    ts.forEachChild(node, visit);
  };
  try {
    visit(parsed);
  } catch (error) {
    compiled.delete(source);
    throw error;
  }
  let output = js;
  for (const edit of edits.sort((a, b) => b.start - a.start)) output = output.slice(0, edit.start) + edit.text + output.slice(edit.end);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, output);
  return out;
}

// ----- running vectors -----

export interface XSRun<T> {
  result: T;
  /** trace() lines the call printed. */
  traced: string[];
  meter: Meter;
}

/** Live memory of an XS machine after a full collection, read from its snapshot (atoms HEAP and BLOC). */
export interface XSMemory {
  /** Live slots (32 bytes each on this 64-bit host, 16 on the ESP32). */
  slots: number;
  /** Bytes of live chunks (strings, array items, buffers, closures' frames), with their headers. */
  chunkBytes: number;
}

/** The size of each top-level atom inside an XS snapshot file ("XS_M" followed by VERS, SIGN, CREA, BLOC, HEAP, ...). */
function snapshotAtoms(bytes: Buffer): Map<string, number> {
  const atoms = new Map<string, number>();
  for (let at = 8; at + 8 <= bytes.length; ) {
    const size = bytes.readUInt32BE(at);
    atoms.set(bytes.subarray(at + 4, at + 8).toString("latin1"), size - 8);
    if (size < 8) break;
    at += size;
  }
  return atoms;
}

/** A module loaded on its own XS machine; its exports can be called many times, and its memory measured between calls. */
export class XSSession {
  readonly #worker: XSWorker;
  readonly #file: string;

  private constructor(worker: XSWorker, file: string) {
    this.#worker = worker;
    this.#file = file;
  }

  static async open(file: string): Promise<XSSession> {
    const entry = compileGraph(file);
    const worker = new XSWorker();
    const session = new XSSession(worker, file);
    try {
      await worker.evaluate(prelude);
      await worker.evaluate(`__linklabXS.load(${JSON.stringify(entry)})`);
      await session.#take(`${shortName(file)} on XS`);
    } catch (error) {
      worker.close();
      throw error;
    }
    return session;
  }

  async #take(what: string): Promise<{ result?: string; traced: string[]; meter: Meter }> {
    const { reply, meter } = await this.#worker.evaluate(`__linklabXS.take()`);
    const outcome = JSON.parse(reply) as { done: boolean; result?: string; error?: string; traced: string[] };
    if (outcome.error !== undefined) throw new Error(await explain(`${what} threw: ${outcome.error}`));
    if (!outcome.done) throw new Error(`${what} did not settle (its promise waits on something that never happens on XS)`);
    return { result: outcome.result, traced: outcome.traced, meter };
  }

  /** Call export `name` (sync or async) with JSON-able args; its result comes back through JSON. */
  async call<T = unknown>(name: string, args: unknown[] = []): Promise<XSRun<T>> {
    await this.#worker.evaluate(`__linklabXS.invoke(${JSON.stringify(name)}, ${JSON.stringify(args)})`);
    const { result, traced, meter } = await this.#take(`${shortName(this.#file)} ${name}() on XS`);
    return { result: JSON.parse(result ?? "null") as T, traced, meter };
  }

  /** Collect garbage and measure what is still alive (the machine's snapshot: live slots and live chunk bytes). */
  async memory(): Promise<XSMemory> {
    const path = join(outDir(), `snapshot-${process.pid}-${Math.random().toString(36).slice(2)}.xss`);
    try {
      await this.#worker.write(path);
      const atoms = snapshotAtoms(readFileSync(path));
      const heap = atoms.get("HEAP");
      const chunks = atoms.get("BLOC");
      if (heap === undefined || chunks === undefined) throw new Error(`XS snapshot without HEAP/BLOC atoms: ${[...atoms.keys()].join(",")}`);
      return { slots: heap / 32, chunkBytes: chunks };
    } finally {
      rmSync(path, { force: true });
    }
  }

  close(): void {
    this.#worker.close();
  }
}

/**
 * Standard objects whose own properties are compared between Node's V8 and xsnap's XS: called here, and its source
 * as compiled (the `as` erased) evaluated on XS.
 */
const intrinsicsProbe = () => ({ Array, "Array.prototype": Array.prototype, Object, String, "String.prototype": String.prototype,
  Promise, Map, "Map.prototype": Map.prototype, "Set.prototype": Set.prototype, Math, Number, JSON, Reflect,
  ArrayBuffer, "ArrayBuffer.prototype": ArrayBuffer.prototype, "TypedArray.prototype": Object.getPrototypeOf(Uint8Array.prototype) as object });

let missingBuiltins: Promise<string[]> | undefined;

/**
 * Standard library members Node has and xsnap's XS 13.3 does not (ES2023+ additions such as
 * Array.prototype.toSorted): the Moddable SDK 8.2.3's XS 17 has most of them, so a failure on one is this engine's age.
 */
export function xsnapMissingBuiltins(): Promise<string[]> {
  missingBuiltins ??= (async () => {
    const names = (table: Record<string, object>) =>
      Object.fromEntries(Object.entries(table).map(([key, value]) => [key, Object.getOwnPropertyNames(value)]));
    const node = names(intrinsicsProbe());
    const worker = new XSWorker();
    try {
      const { reply } = await worker.evaluate(
        `const table = (${intrinsicsProbe.toString()})(); const out = {}; for (const key in table) out[key] = Object.getOwnPropertyNames(table[key]);
         new TextEncoder().encode(JSON.stringify(out)).buffer`,
      );
      const xs = JSON.parse(reply) as Record<string, string[]>;
      return Object.entries(node).flatMap(([owner, props]) => props.filter((p) => !xs[owner]?.includes(p)).map((p) => `${owner}.${p}`));
    } finally {
      worker.close();
    }
  })();
  return missingBuiltins;
}

function firmwareMentioning(pattern: RegExp): string[] {
  return [...compiled.entries()]
    .filter(([file]) => isFirmware(file))
    .filter(([, { out }]) => existsSync(out) && pattern.test(readFileSync(out, "utf8")))
    .map(([file]) => shortName(file));
}

/**
 * Names what XS lacked: "get setTimeout: undefined variable" -> the global and the firmware files that use it;
 * "no function" -> any standard method that xsnap's older XS lacks and the firmware calls.
 */
async function explain(message: string): Promise<string> {
  const missing = /get (\S+): undefined variable/.exec(message)?.[1];
  if (missing) {
    const users = firmwareMentioning(new RegExp(`\\b${missing.replace(/[$]/g, "\\$")}\\b`));
    return `XS has no global '${missing}'${users.length ? ` (used by ${users.join(", ")})` : ""}: ${message}`;
  }
  if (/no function|not a function|no constructor/.test(message)) {
    const hits: string[] = [];
    for (const member of await xsnapMissingBuiltins()) {
      const name = member.slice(member.lastIndexOf(".") + 1);
      const users = firmwareMentioning(new RegExp(`\\.${name}\\b`));
      if (users.length) hits.push(`${member} (used by ${users.join(", ")})`);
    }
    if (hits.length)
      return `xsnap's XS 13.3 lacks ${hits.join(", ")}; the board's XS (Moddable SDK ${sdkRelease}) is newer, see docs/xs.md: ${message}`;
  }
  return message;
}
