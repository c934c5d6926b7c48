// The XS suite must fail, naming the culprit, when firmware reaches for something the board's XS does not have:
// Node globals (setTimeout, Buffer, console), xsnap's own extras (TextEncoder), or a module that is not in the
// Moddable SDK for esp32. Each case is a throw-away app in a temp dir, run on Node (where it works) and on XS.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { installGlobals } from "../../host-sim/runtime/globals.ts";
import { runInNode, runInXS } from "./harness.ts";

let appDir: string;
let serial = 0;

/** A temp app with modules/NAME.ts holding `source` and a vector that calls its `probe()`; returns the vector path. */
function app(source: string): { vector: string; module: string } {
  const name = `probe${++serial}`;
  writeFileSync(join(appDir, "modules", `${name}.ts`), source);
  const vector = join(appDir, `vector${serial}.ts`);
  writeFileSync(vector, `import { probe } from "linklab/${name}";\nexport function vectors(): unknown {\n  return probe();\n}\n`);
  return { vector, module: `modules/${name}.ts` };
}

async function xsFailure(vector: string): Promise<string> {
  try {
    await runInXS(vector, "vectors");
  } catch (error) {
    return (error as Error).message;
  }
  return assert.fail("XS ran it without an error");
}

describe("firmware that uses what XS lacks fails the XS suite", function () {
  this.timeout(20_000);

  before(() => {
    installGlobals();
    appDir = mkdtempSync(join(tmpdir(), "linklab-xs-app-"));
    mkdirSync(join(appDir, "modules"));
    writeFileSync(join(appDir, "manifest.json"), JSON.stringify({ modules: { "linklab/*": "./modules/*" } }));
  });
  after(() => rmSync(appDir, { recursive: true, force: true }));

  it("runs a module that uses only what XS has, on both engines", async () => {
    const { vector } = app(`export function probe(): string { return String.fromArrayBuffer(ArrayBuffer.fromString("ok")); }\n`);
    assert.equal(await runInNode(vector, "vectors"), "ok");
    assert.equal((await runInXS(vector, "vectors")).result, "ok");
  });

  it("names setTimeout and the module that called it", async () => {
    const { vector, module } = app(`export function probe(): number { const t = setTimeout(() => {}, 1); clearTimeout(t); return 1; }\n`);
    assert.equal(await runInNode(vector, "vectors"), 1);
    const message = await xsFailure(vector);
    assert.match(message, /XS has no global 'setTimeout'/);
    assert.ok(message.includes(module), message);
  });

  it("names Buffer", async () => {
    const { vector, module } = app(`export function probe(): number { return Buffer.from("hi").length; }\n`);
    assert.equal(await runInNode(vector, "vectors"), 2);
    const message = await xsFailure(vector);
    assert.match(message, /XS has no global 'Buffer'/);
    assert.ok(message.includes(module), message);
  });

  it("names TextEncoder, which xsnap has and the board does not", async () => {
    const { vector } = app(`export function probe(): number { return new TextEncoder().encode("hi").length; }\n`);
    assert.match(await xsFailure(vector), /XS has no global 'TextEncoder'/);
  });

  it("names console when a module touches it while loading", async () => {
    const { vector } = app(`console.log("loading");\nexport function probe(): number { return 1; }\n`);
    assert.match(await xsFailure(vector), /console/);
  });

  it("names a Node module that the Moddable SDK does not provide on esp32", async () => {
    const { vector, module } = app(`import { isIP } from "node:net";\nexport function probe(): number { return isIP("127.0.0.4"); }\n`);
    const message = await xsFailure(vector);
    assert.match(message, /imports 'node:net', which the Moddable SDK 8\.2\.3 does not provide on esp32/);
    assert.ok(message.includes(module), message);
  });

  it("names a linklab module that does not exist", async () => {
    const { vector } = app(`import { nothing } from "linklab/absent";\nexport function probe(): unknown { return nothing; }\n`);
    assert.match(await xsFailure(vector), /imports 'linklab\/absent', which is not in modules\//);
  });

  it("names a standard method that xsnap's older XS lacks (Array.prototype.toSorted)", async () => {
    const { vector, module } = app(`export function probe(): number[] { return [3, 1, 2].toSorted(); }\n`);
    assert.deepEqual(await runInNode(vector, "vectors"), [1, 2, 3]);
    const message = await xsFailure(vector);
    assert.match(message, /xsnap's XS 13\.3 lacks Array\.prototype\.toSorted/);
    assert.ok(message.includes(module), message);
  });

  it("names a Moddable module imported directly, which the harness cannot stand in for", async () => {
    const { vector, module } = app(`import Timer from "timer";\nexport function probe(): number { Timer.set(() => {}, 1); return 1; }\n`);
    const message = await xsFailure(vector);
    assert.match(message, /imports 'timer' \(a Moddable module on esp32\) for which the XS harness has no stand-in/);
    assert.ok(message.includes(module), message);
  });
});
