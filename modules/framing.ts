// Byte-level line framer for the v1 text protocol: bytes in (split or merged reads), lines out. Never throws on
// input: an overlong line becomes one "too-long" event and is discarded up to its LF; a line holding bytes other
// than printable ASCII becomes a "bad-bytes" event. ASCII is decoded by hand (XS has no TextDecoder, and its
// String.fromArrayBuffer throws on invalid UTF-8).

export type Frame =
  | { kind: "line"; text: string }
  | { kind: "too-long"; bytes: number }
  | { kind: "bad-bytes"; bytes: number; at: number; value: number };

const LF = 0x0a;
const CR = 0x0d;

function isPrintable(c: number): boolean {
  return c >= 0x20 && c <= 0x7e;
}

/** bytes[start..end) as a string when all are printable ASCII, else the index of the first bad byte as a negative number minus one. */
export function decodeAscii(bytes: Uint8Array, start = 0, end = bytes.length): string | number {
  let text = "";
  for (let i = start; i < end; i++) {
    const c = bytes[i];
    if (!isPrintable(c)) return -1 - (i - start);
    text += String.fromCharCode(c);
  }
  return text;
}

/** Printable ASCII of `text` as bytes; anything else becomes "?" so a line on the wire is always ASCII. */
export function encodeAscii(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    bytes[i] = isPrintable(c) || c === LF || c === CR ? c : 0x3f;
  }
  return bytes;
}

/** One protocol line with its LF ending, as the bytes to write. */
export function encodeLine(text: string): Uint8Array {
  return encodeAscii(text + "\n");
}

export function toBytes(data: ArrayBuffer | Uint8Array): Uint8Array {
  return data instanceof Uint8Array ? data : new Uint8Array(data);
}

export class LineFramer {
  /** Longest line accepted, counting its ending (LF or CRLF). */
  readonly maxLine: number;
  #buffer: Uint8Array;
  #fill = 0;
  #discarding = false;

  constructor(maxLine: number) {
    this.maxLine = Math.max(2, Math.floor(maxLine));
    this.#buffer = new Uint8Array(this.maxLine);
  }

  /** Bytes held for a line not yet ended. */
  get pending(): number {
    return this.#fill;
  }

  reset(): void {
    this.#fill = 0;
    this.#discarding = false;
  }

  /** Feed one read; returns the frames it completed, in order (appended to `out` when given). */
  push(data: ArrayBuffer | Uint8Array, out: Frame[] = []): Frame[] {
    const bytes = toBytes(data);
    const buffer = this.#buffer;
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i];
      if (c === LF) {
        if (this.#discarding) this.#discarding = false;
        else out.push(this.#complete());
        this.#fill = 0;
        continue;
      }
      if (this.#discarding) continue;
      if (this.#fill >= this.maxLine - 1) {
        // No room left for the LF: the line is too long whatever comes next.
        out.push({ kind: "too-long", bytes: this.#fill + 1 });
        this.#discarding = true;
        this.#fill = 0;
        continue;
      }
      buffer[this.#fill++] = c;
    }
    return out;
  }

  #complete(): Frame {
    let end = this.#fill;
    if (end > 0 && this.#buffer[end - 1] === CR) end--;
    const text = decodeAscii(this.#buffer, 0, end);
    if (typeof text === "string") return { kind: "line", text };
    const at = -1 - text;
    return { kind: "bad-bytes", bytes: this.#fill + 1, at, value: this.#buffer[at] };
  }
}
