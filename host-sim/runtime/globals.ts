// The globals XS gives a Moddable app and Node lacks: trace, ArrayBuffer.fromString, String.fromArrayBuffer,
// ArrayBuffer.prototype.concat and the integer Math helpers. Each mirrors xs/sources (SDK 8.2.3), including how
// it fails: String.fromArrayBuffer throws TypeError "invalid UTF-8" exactly where xsString.c does.

type TraceSink = (text: string) => void;

let sink: TraceSink = (text) => process.stdout.write(text);

/** Where trace() output goes (the board's serial port): stdout unless a test or the lab redirects it. */
export function setTraceSink(next: TraceSink): void {
  sink = next;
}

function trace(...values: (string | number | boolean)[]): void {
  sink(values.map(String).join(""));
}
// xsbug conversation helpers; on a board without xsbug they print nothing.
trace.left = (_log: string | ArrayBufferLike, _conversation?: string): void => {};
trace.center = trace.left;
trace.right = trace.left;

/** XS fx_String_fromArrayBuffer: ArrayBuffer (not a view) in, UTF-8 checked the way xsString.c checks it. */
function fromArrayBuffer(buffer: ArrayBufferLike, byteOffset?: number, byteLength?: number): string {
  if (!(buffer instanceof ArrayBuffer) && !(buffer instanceof SharedArrayBuffer))
    throw new TypeError("argument: not an ArrayBuffer instance");
  const offset = byteOffset === undefined ? 0 : Math.trunc(Number(byteOffset));
  if (!(offset >= 0) || offset > buffer.byteLength) throw new RangeError(`invalid byteOffset ${offset}`);
  const length = byteLength === undefined ? buffer.byteLength - offset : Math.trunc(Number(byteLength));
  if (!(length >= 0) || offset + length > buffer.byteLength) throw new RangeError(`invalid byteLength ${length}`);
  const bytes = new Uint8Array(buffer, offset, length);
  for (let i = 0; i < bytes.length; ) {
    const first = bytes[i];
    let extra: number;
    if (first < 0x80) extra = 0;
    else if ((first & 0xe0) === 0xc0) extra = 1;
    else if ((first & 0xf0) === 0xe0) extra = 2;
    else if ((first & 0xf0) === 0xf0) extra = 3;
    else throw new TypeError("invalid UTF-8");
    if (i + extra >= bytes.length && extra > 0) throw new TypeError("invalid UTF-8");
    for (let k = 1; k <= extra; k++) if ((bytes[i + k] & 0xc0) !== 0x80) throw new TypeError("invalid UTF-8");
    i += extra + 1;
  }
  return new TextDecoder("utf-8").decode(bytes);
}

function fromString(string: string): ArrayBuffer {
  const bytes = new TextEncoder().encode(String(string));
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

function concat(this: ArrayBuffer, ...buffers: ArrayBufferLike[]): ArrayBuffer {
  const parts = [this, ...buffers].map((b) => new Uint8Array(b));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out.buffer;
}

function define(target: object, name: string, value: unknown): void {
  if (!Object.prototype.hasOwnProperty.call(target, name))
    Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable: false });
}

/** Install the XS globals into this Node realm. Idempotent. */
export function installGlobals(): void {
  define(globalThis, "trace", trace);
  define(String, "fromArrayBuffer", fromArrayBuffer);
  define(ArrayBuffer, "fromString", fromString);
  define(ArrayBuffer.prototype, "concat", concat);
  // ES2024, in XS 17 (SDK 8.2.3) and in Node only from 22: Moddable's own tests use it.
  define(Promise, "withResolvers", function withResolvers<T>() {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  });
  // XS integer math (xsMath.c): idiv/imod/irem truncate toward zero like C, mod is floored, irandom is inclusive.
  define(Math, "idiv", (a: number, b: number) => Math.trunc((a | 0) / (b | 0)) | 0);
  define(Math, "irem", (a: number, b: number) => ((a | 0) % (b | 0)) | 0);
  define(Math, "imod", (a: number, b: number) => ((((a | 0) % (b | 0)) + (b | 0)) % (b | 0)) | 0);
  define(Math, "mod", (a: number, b: number) => ((a % b) + b) % b);
  define(Math, "imuldiv", (a: number, b: number, c: number) => Number((BigInt(a | 0) * BigInt(b | 0)) / BigInt(c | 0)) | 0);
  define(Math, "irandom", (a?: number, b?: number) =>
    a === undefined ? (Math.random() * 0x7fffffff) | 0 : b === undefined ? Math.floor(Math.random() * ((a | 0) + 1)) : (a | 0) + Math.floor(Math.random() * ((b | 0) - (a | 0) + 1)));
}
