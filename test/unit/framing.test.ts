import { strict as assert } from "node:assert";
import { decodeAscii, encodeLine, LineFramer, type Frame } from "linklab/framing";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const texts = (frames: Frame[]) => frames.map((f) => (f.kind === "line" ? f.text : "<" + f.kind + ">"));

describe("linklab/framing", () => {
  it("frames one LF-terminated line", () => {
    assert.deepEqual(texts(new LineFramer(256).push(bytes("PING 1\n"))), ["PING 1"]);
  });

  it("accepts CRLF endings and strips the CR", () => {
    assert.deepEqual(texts(new LineFramer(256).push(bytes("PING 1\r\nPONG 2\r\n"))), ["PING 1", "PONG 2"]);
  });

  it("joins a line split across reads at every byte boundary", () => {
    const message = "ECHO 17 hello world\r\n";
    for (let cut = 0; cut <= message.length; cut++) {
      const framer = new LineFramer(256);
      const frames = [...framer.push(bytes(message.slice(0, cut))), ...framer.push(bytes(message.slice(cut)))];
      assert.deepEqual(texts(frames), ["ECHO 17 hello world"], "cut at " + cut);
    }
  });

  it("splits many lines merged into one read, keeping the tail for the next read", () => {
    const framer = new LineFramer(256);
    assert.deepEqual(texts(framer.push(bytes("A\nB\nC\nD"))), ["A", "B", "C"]);
    assert.equal(framer.pending, 1);
    assert.deepEqual(texts(framer.push(bytes("\n"))), ["D"]);
  });

  it("takes ArrayBuffer as well as Uint8Array", () => {
    assert.deepEqual(texts(new LineFramer(256).push(bytes("X\n").buffer)), ["X"]);
  });

  it("counts the ending in maxLine: maxLine-1 bytes plus LF fit, one more does not", () => {
    const framer = new LineFramer(8);
    assert.deepEqual(texts(framer.push(bytes("1234567\n"))), ["1234567"]);
    assert.deepEqual(texts(framer.push(bytes("123456\r\n"))), ["123456"]);
    assert.deepEqual(texts(framer.push(bytes("12345678\n"))), ["<too-long>"]);
  });

  it("reports an overlong line once, discards it up to its LF, then frames the next line", () => {
    const framer = new LineFramer(16);
    const frames = framer.push(bytes("x".repeat(100)));
    assert.deepEqual(texts(frames), ["<too-long>"]);
    assert.deepEqual(texts(framer.push(bytes("y".repeat(5000)))), []);
    assert.deepEqual(texts(framer.push(bytes("zz\nPING 3\n"))), ["PING 3"]);
  });

  it("never holds more than maxLine bytes, however long the line", () => {
    const framer = new LineFramer(64);
    framer.push(new Uint8Array(65536).fill(0x41));
    assert.ok(framer.pending <= 64);
  });

  it("turns NUL, control and non-ASCII bytes into one bad-bytes frame naming the first bad byte", () => {
    const frames = new LineFramer(256).push(Uint8Array.from([0x41, 0x00, 0x42, 0x0a, 0xc3, 0x28, 0x0a, 0x43, 0x0a]));
    assert.equal(frames.length, 3);
    assert.deepEqual(frames[0], { kind: "bad-bytes", bytes: 4, at: 1, value: 0 });
    assert.equal(frames[1].kind, "bad-bytes");
    assert.deepEqual(frames[2], { kind: "line", text: "C" });
  });

  it("yields an empty line for a bare LF", () => {
    assert.deepEqual(texts(new LineFramer(256).push(bytes("\n\r\n"))), ["", ""]);
  });

  it("decodes printable ASCII and reports the first bad index otherwise", () => {
    assert.equal(decodeAscii(bytes("abc")), "abc");
    assert.equal(decodeAscii(Uint8Array.from([0x61, 0xff])), -2);
  });

  it("encodes a line as ASCII with LF, replacing anything else with ?", () => {
    assert.deepEqual([...encodeLine("hé")], [0x68, 0x3f, 0x0a]);
  });
});
