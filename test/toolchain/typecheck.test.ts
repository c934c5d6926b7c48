// The two type worlds: firmware (main.ts, modules/) against the Moddable declarations only, host code against
// Node. The firmware check is the one mcconfig would run on the board build; Node must be invisible to it.
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const repoDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Diagnostics of a tsconfig, optionally with one extra virtual source file placed in the project. */
function check(configName: string, extra?: { path: string; text: string }): string[] {
  const configPath = join(repoDir, configName);
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(ts.flattenDiagnosticMessageText(d.messageText, "\n")),
  });
  assert.ok(parsed, `${configName} parses`);
  const host = ts.createCompilerHost(parsed.options);
  if (extra) {
    const getSourceFile = host.getSourceFile.bind(host);
    const fileExists = host.fileExists.bind(host);
    const readFile = host.readFile.bind(host);
    host.fileExists = (file) => file === extra.path || fileExists(file);
    host.readFile = (file) => (file === extra.path ? extra.text : readFile(file));
    host.getSourceFile = (file, language, ...rest) =>
      file === extra.path ? ts.createSourceFile(file, extra.text, language) : getSourceFile(file, language, ...rest);
  }
  const roots = extra ? [...parsed.fileNames, extra.path] : parsed.fileNames;
  const program = ts.createProgram({ rootNames: roots, options: parsed.options, host });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file ? `${d.file.fileName.replace(repoDir + "/", "")}(${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1})` : "";
    return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
  });
}

/** Diagnostics that name the virtual probe file. */
function probe(text: string): string[] {
  const path = join(repoDir, "modules", "__typecheck_probe__.ts");
  return check("tsconfig.json", { path, text }).filter((line) => line.startsWith("modules/__typecheck_probe__.ts"));
}

describe("firmware typecheck (tsconfig.json, Moddable declarations only)", function () {
  this.timeout(60_000);

  it("passes for main.ts and every module in modules/", () => {
    assert.deepEqual(check("tsconfig.json"), []);
  });

  it("accepts a module that uses the Moddable APIs the firmware relies on, through linklab/board where the typings fall short", () => {
    const errors = probe(`
      import TCP from "embedded:io/socket/tcp";
      import { BoardListener, BoardUDP } from "linklab/board";
      import Timer from "timer";
      import Time from "time";
      import config from "mc/config";
      export function probe(): void {
        const listener = new BoardListener({ port: 0 });
        listener.close();
        const udp = new BoardUDP({ port: 0 });
        udp.close();
        const t = Timer.set(() => trace(String(Time.ticks) + String(config.port) + "\\n"), 10);
        Timer.clear(t);
        void TCP;
      }`);
    assert.deepEqual(errors, []);
  });

  it("declares nothing global of ours: the typings' Listener has no close(), as in the SDK's typings/", () => {
    const errors = probe(`
      import Listener from "embedded:io/socket/listener";
      export function probe(): void {
        new Listener({ port: 0 }).close();
      }`);
    assert.ok(errors.some((e) => e.includes("Property 'close' does not exist")), errors.join("\n") || "no error");
  });

  it("fails a firmware file that imports node:net", () => {
    const errors = probe(`import net from "node:net";\nexport const n = net;`);
    assert.ok(errors.some((e) => e.includes("node:net")), errors.join("\n"));
  });

  for (const [name, code] of [
    ["setTimeout", `setTimeout(() => {}, 10);`],
    ["Buffer", `const b = Buffer.from("x"); void b;`],
    ["process", `const p = process.env; void p;`],
    ["console", `console.log("x");`],
  ] as const) {
    it(`fails a firmware file that uses ${name}`, () => {
      const errors = probe(`export {};\n${code}`);
      assert.ok(errors.some((e) => e.includes(`Cannot find name '${name}'`)), errors.join("\n") || "no error");
    });
  }
});

describe("host typecheck (tsconfig.host.json, Node visible)", function () {
  this.timeout(120_000);

  it("passes for host-sim/, test/ and bench/", () => {
    assert.deepEqual(check("tsconfig.host.json"), []);
  });
});
