// The XS globals on Node behave as xs/sources does, including where they throw.
import assert from "node:assert/strict";
import { installGlobals, setTraceSink } from "../../host-sim/runtime/globals.ts";
import { mergeConfig, parseWords, type App } from "../../host-sim/app.ts";

installGlobals();

// The XS globals as this test sees them (the host type world does not declare XS's globals on purpose).
const xs = globalThis as unknown as { trace: (...values: (string | number | boolean)[]) => void };
const XString = String as unknown as { fromArrayBuffer(buffer: ArrayBufferLike): string };
const XArrayBuffer = ArrayBuffer as unknown as { fromString(text: string): ArrayBuffer & { concat(...more: ArrayBufferLike[]): ArrayBuffer } };

describe("XS globals on the simulator", () => {
  it("trace writes its arguments joined, with no newline added", () => {
    const out: string[] = [];
    setTraceSink((text) => out.push(text));
    try {
      xs.trace("a", 1, true);
      xs.trace("b\n");
    } finally {
      setTraceSink((text) => process.stdout.write(text));
    }
    assert.deepEqual(out, ["a1true", "b\n"]);
  });

  it("ArrayBuffer.fromString encodes UTF-8 and String.fromArrayBuffer decodes it back", () => {
    const buffer = XArrayBuffer.fromString("héllo ✓");
    assert.equal(buffer.byteLength, 10);
    assert.equal(XString.fromArrayBuffer(buffer), "héllo ✓");
  });

  it("String.fromArrayBuffer throws TypeError on invalid UTF-8, as xsString.c does", () => {
    assert.throws(() => XString.fromArrayBuffer(new Uint8Array([0x41, 0xff]).buffer), { name: "TypeError", message: "invalid UTF-8" });
    assert.throws(() => XString.fromArrayBuffer(new Uint8Array([0xe2, 0x9c]).buffer), { name: "TypeError", message: "invalid UTF-8" });
  });

  it("String.fromArrayBuffer keeps NUL bytes", () => {
    assert.equal(XString.fromArrayBuffer(new Uint8Array([0x41, 0, 0x42]).buffer), "A\u0000B");
  });

  it("String.fromArrayBuffer refuses a typed array view (only ArrayBuffer instances)", () => {
    assert.throws(() => XString.fromArrayBuffer(new Uint8Array([0x41]) as unknown as ArrayBuffer), TypeError);
  });

  it("ArrayBuffer.prototype.concat joins buffers", () => {
    const joined = XArrayBuffer.fromString("ab").concat(XArrayBuffer.fromString("cd"));
    assert.equal(XString.fromArrayBuffer(joined), "abcd");
  });
});

describe("mc/config words, as mcconfig reads them", () => {
  const app: App = { dir: "/x", entry: "/x/main.ts", defaults: { port: 8420, role: "both" } };

  it("takes the text before the first '=' as the key and the rest, as a string, as the value", () => {
    assert.deepEqual(parseWords(["role=client", "token=a=b"]), { dir: undefined, overrides: { role: "client", token: "a=b" } });
  });

  it("keeps manifest defaults in their JSON types and overrides as strings", () => {
    assert.deepEqual(mergeConfig(app, { role: "server" }), { config: { port: 8420, role: "server" }, warnings: [] });
    assert.deepEqual(mergeConfig(app, { port: "9000" }), { config: { port: "9000", role: "both" }, warnings: [] });
  });

  it("passes on a key the manifest does not declare, as mcconfig does, with a warning that names it", () => {
    const { config, warnings } = mergeConfig(app, { prot: "1" });
    assert.deepEqual(config, { port: 8420, role: "both", prot: "1" });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /config key 'prot' is not in manifest\.json/);
  });

  it("refuses a second app directory", () => {
    assert.throws(() => parseWords(["a", "b"]), /too many app directories/);
  });
});
