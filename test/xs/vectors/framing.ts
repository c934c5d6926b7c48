// Vectors for linklab/framing: the same calls on Node and on XS must give the same frames. Split and merged reads,
// CRLF, overlong lines, non-ASCII bytes, and the encoder's replacement of anything outside printable ASCII.
import { LineFramer, decodeAscii, encodeAscii, encodeLine, type Frame } from "linklab/framing";

function bytesOf(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** Feed `text` to a fresh framer in pieces of `step` bytes (0 = one read); the frames, in order. */
function frames(maxLine: number, text: string, step = 0): Frame[] {
  const framer = new LineFramer(maxLine);
  const bytes = bytesOf(text);
  const out: Frame[] = [];
  if (step <= 0) framer.push(bytes, out);
  else for (let at = 0; at < bytes.length; at += step) framer.push(bytes.slice(at, at + step), out);
  return out;
}

export function vectors(): Record<string, unknown> {
  const wire = "HELLO c1 token=abc\r\nPING 1\nPONG 1\n\nECHO 7 hello world\r\n";
  const splits: Record<string, Frame[]> = {};
  for (const step of [0, 1, 2, 3, 5, 7, 64]) splits[`step${step}`] = frames(256, wire, step);

  const framer = new LineFramer(16);
  const pending: number[] = [];
  framer.push(bytesOf("PING 12"));
  pending.push(framer.pending);
  framer.push(new Uint8Array(0));
  pending.push(framer.pending);
  const rest = framer.push(bytesOf("3\nPO").buffer as ArrayBuffer);
  pending.push(framer.pending);
  framer.reset();
  pending.push(framer.pending);

  return {
    splits,
    arrayBufferInput: rest,
    pending,
    tooLong: frames(8, "1234567\n12345678\nabcdefghijklmnop\nok\n"),
    tooLongSplit: frames(8, "abcdefghijklmnop\nok\n", 3),
    exactlyMax: frames(8, "123456\r\n1234567\r\n"),
    badBytes: frames(64, "PING \u0001\nECHO 1 caf\u00e9\nnul\u0000x\n\u007f\n"),
    crOnly: frames(64, "a\rb\n\r\n"),
    minimumMaxLine: new LineFramer(0).maxLine,
    fractionalMaxLine: new LineFramer(9.7).maxLine,
    decode: [
      decodeAscii(bytesOf("WELCOME s1")),
      decodeAscii(bytesOf("ab\u0000cd")),
      decodeAscii(bytesOf("xxhelloxx"), 2, 7),
      decodeAscii(bytesOf("\u00ff")),
      decodeAscii(new Uint8Array(0)),
    ],
    encode: [
      Array.from(encodeAscii("PING 1")),
      Array.from(encodeAscii("caf\u00e9 \u2603\t")),
      Array.from(encodeLine("BYE")),
      Array.from(encodeLine("")),
    ],
  };
}
