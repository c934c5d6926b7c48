// Property-based fuzzing of the parsers a peer can reach: the line framer, the message codec and the beacon parser.
// Seeded and bounded (fast-check, fixed seed, a few hundred runs each) so a CI failure repeats exactly; a failure
// prints the seed, path and shrunk counterexample.
import { strict as assert } from "node:assert";
import fc from "fast-check";
import { encodeAscii, encodeLine, LineFramer, type Frame } from "linklab/framing";
import { formatBeacon, formatMessage, MAX_BEACON, parseBeacon, parseLine, type Beacon, type Message } from "linklab/protocol";

const SEED = 0x11d7ab;
const runs = (numRuns: number): fc.Parameters<unknown> => ({ seed: SEED, numRuns });

const LF = 0x0a;
const CR = 0x0d;

// ---- generators ---------------------------------------------------------------------------------------------

/** fc.record with ordinary objects (its default is a null prototype, which deepEqual tells apart). */
const rec = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> => fc.record(model, { noNullPrototype: true });

/** Bytes biased towards what matters to a framer: LF, CR, printable ASCII, NUL, high bytes, anything. */
const wireByte = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(LF, CR) },
  { weight: 6, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
  { weight: 1, arbitrary: fc.constantFrom(0x00, 0x7f, 0x80, 0xc3, 0xff) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
);
/** A byte stream as the reads that carried it (any split, empty reads included). */
const reads = fc.array(fc.array(wireByte, { maxLength: 24 }).map((a) => Uint8Array.from(a)), { maxLength: 24 });
const maxLine = fc.integer({ min: 2, max: 40 });

const idChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
const id = fc.string({ unit: fc.constantFrom(...idChars), minLength: 1, maxLength: 32 });
const printable = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
const token = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 64 });
const text = fc.string({ unit: printable, maxLength: 80 });
const nonEmptyText = fc.string({ unit: printable, minLength: 1, maxLength: 80 });
const uint = fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 999_999_999_999_999 }));

const message: fc.Arbitrary<Message> = fc.oneof(
  rec({ type: fc.constant("HELLO" as const), clientId: id }),
  rec({ type: fc.constant("HELLO" as const), clientId: id, token }),
  rec({ type: fc.constant("WELCOME" as const), serverId: id, session: uint, heartbeatMs: uint, timeoutMs: uint }),
  rec({ type: fc.constantFrom("PING" as const, "PONG" as const), seq: uint }),
  rec({ type: fc.constantFrom("ECHO" as const, "PUSH" as const), seq: uint, text }),
  fc.constant({ type: "BYE" as const }),
  rec({ type: fc.constant("BYE" as const), reason: nonEmptyText }),
  rec({ type: fc.constant("ERR" as const), code: id }),
  rec({ type: fc.constant("ERR" as const), code: id, text: nonEmptyText }),
);

const octet = fc.integer({ min: 0, max: 255 });
const beacon: fc.Arbitrary<Beacon> = rec({
  id,
  role: fc.constant("server" as const),
  ip: fc.tuple(octet, octet, octet, octet).map((q) => q.join(".")),
  port: fc.integer({ min: 1, max: 65535 }),
  seq: uint,
  uptimeMs: uint,
});

/** Edits a spoofer or a noisy network might make to a datagram. */
type Edit = { op: "set" | "insert" | "delete" | "duplicate"; at: number; byte: number };
const beaconByte = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...Array.from(" =.0123456789-_LINKAB", (c) => c.charCodeAt(0))) },
  { weight: 1, arbitrary: fc.constantFrom(0x00, LF, CR, 0x7f, 0x80, 0xff) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
);
const edits = fc.array(rec({ op: fc.constantFrom<Edit["op"]>("set", "insert", "delete", "duplicate"), at: fc.nat(), byte: beaconByte }), { minLength: 1, maxLength: 4 });

function applyEdits(bytes: Uint8Array, list: Edit[]): Uint8Array {
  let out = Array.from(bytes);
  for (const e of list) {
    const at = out.length === 0 ? 0 : e.at % (out.length + (e.op === "insert" ? 1 : 0));
    if (e.op === "set" && out.length > 0) out[at] = e.byte;
    else if (e.op === "insert") out.splice(at, 0, e.byte);
    else if (e.op === "delete" && out.length > 0) out.splice(at, 1);
    else if (e.op === "duplicate" && out.length > 0) out = out.concat(out.slice(at));
  }
  return Uint8Array.from(out);
}

// ---- reference models ---------------------------------------------------------------------------------------

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** What the framer must produce, written the obvious way: split at LF, judge each line on its own. */
function modelFrames(bytes: Uint8Array, max: number): { frames: Frame[]; pending: number } {
  const frames: Frame[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    const ended = i < bytes.length && bytes[i] === LF;
    if (!ended && i < bytes.length) continue;
    const length = i - start;
    if (length + 1 > max) frames.push({ kind: "too-long", bytes: max });
    else if (ended) {
      let end = i;
      if (end > start && bytes[end - 1] === CR) end--;
      const bad = bytes.subarray(start, end).findIndex((c) => c < 0x20 || c > 0x7e);
      if (bad < 0) frames.push({ kind: "line", text: String.fromCharCode(...bytes.subarray(start, end)) });
      else frames.push({ kind: "bad-bytes", bytes: length + 1, at: bad, value: bytes[start + bad] });
    } else return { frames, pending: length };
    start = i + 1;
  }
  return { frames, pending: 0 };
}

const digits = "(0|[1-9][0-9]{0,14})";
const octetRe = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])";
const portRe = "([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])";
/** The beacon's shape as one regular expression, independent of the parser's code. */
const beaconShape = new RegExp(`^LINKLAB1 id=[A-Za-z0-9._-]{1,32} role=server ip=${octetRe}(\\.${octetRe}){3} port=${portRe} seq=${digits} uptimeMs=${digits}$`);
const latin1 = (bytes: Uint8Array) => Array.from(bytes, (c) => String.fromCharCode(c)).join("");

// ---- properties ---------------------------------------------------------------------------------------------

describe("fuzzing the line framer", () => {
  it("yields the same frames for a stream however its reads were split", () => {
    fc.assert(
      fc.property(reads, maxLine, (parts, max) => {
        const split = new LineFramer(max);
        const frames: Frame[] = [];
        for (const p of parts) split.push(p, frames);
        const whole = new LineFramer(max);
        assert.deepEqual(frames, whole.push(concat(parts)));
        assert.equal(split.pending, whole.pending);
      }),
      runs(800),
    );
  });

  it("matches a plain split-at-LF model of lines, too-long and bad-bytes events", () => {
    fc.assert(
      fc.property(reads, maxLine, (parts, max) => {
        const framer = new LineFramer(max);
        const frames: Frame[] = [];
        for (const p of parts) framer.push(p, frames);
        const model = modelFrames(concat(parts), max);
        assert.deepEqual(frames, model.frames);
        assert.equal(framer.pending, model.pending);
      }),
      runs(800),
    );
  });

  it("never yields a line longer than maxLine nor holds more than maxLine bytes", () => {
    fc.assert(
      fc.property(reads, maxLine, (parts, max) => {
        const framer = new LineFramer(max);
        for (const p of parts) {
          for (const f of framer.push(p)) {
            if (f.kind === "line") {
              assert.ok(f.text.length + 1 <= max, "line of " + f.text.length + " > maxLine " + max);
              assert.match(f.text, /^[\x20-\x7e]*$/);
            } else assert.ok(f.bytes <= max);
          }
          assert.ok(framer.pending < max);
        }
      }),
      runs(500),
    );
  });

  it("never throws on arbitrary bytes, and recovers for the next well-formed line", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 2, max: 300 }), (junk, max) => {
        const framer = new LineFramer(max);
        framer.push(junk);
        const frames = framer.push(Uint8Array.from([LF, ...encodeLine("PING 1")]));
        assert.deepEqual(frames[frames.length - 1], max >= 7 ? { kind: "line", text: "PING 1" } : { kind: "too-long", bytes: max });
      }),
      runs(500),
    );
  });
});

describe("fuzzing the message codec", () => {
  it("never throws on any string, and every failure carries a code and a reason", () => {
    const anyLine = fc.oneof(
      fc.string({ unit: "binary", maxLength: 120 }),
      fc.string({ unit: "grapheme-ascii", maxLength: 120 }),
      fc.tuple(fc.constantFrom("HELLO", "WELCOME", "PING", "PONG", "ECHO", "PUSH", "BYE", "ERR", "hello", ""), fc.string({ unit: fc.constantFrom(" ", "=", "0", "1", "9", "a", "token=", "session=", "-", "\u00e9", "\u0000"), maxLength: 20 })).map(([v, rest]) => v + rest),
    );
    fc.assert(
      fc.property(anyLine, (line) => {
        const r = parseLine(line);
        if (!r.ok) {
          assert.ok(["unknown", "bad-syntax", "bad-hello"].includes(r.code));
          assert.ok(r.reason.length > 0);
        }
      }),
      runs(1000),
    );
  });

  it("round-trips every well-formed message through format, the wire and parse", () => {
    fc.assert(
      fc.property(message, (m) => {
        const line = formatMessage(m);
        const framer = new LineFramer(1024);
        const frames = framer.push(encodeLine(line));
        assert.deepEqual(frames, [{ kind: "line", text: line }]);
        const r = parseLine(line);
        assert.ok(r.ok, line + ": " + (r.ok ? "" : r.reason));
        assert.deepEqual(r.message, m);
      }),
      runs(1000),
    );
  });

  it("gives the same message back when a parsed line is formatted and parsed again", () => {
    const verbs = fc.constantFrom("HELLO ", "WELCOME ", "PING ", "PONG ", "ECHO ", "PUSH ", "BYE", "BYE ", "ERR ");
    const tail = fc.string({ unit: fc.oneof(printable, fc.constantFrom(" ", "0", "7", "token=", "session=1", "heartbeatMs=2", "timeoutMs=3")), maxLength: 40 });
    fc.assert(
      fc.property(verbs, tail, (verb, rest) => {
        const first = parseLine(verb + rest);
        if (!first.ok) return;
        const again = parseLine(formatMessage(first.message));
        assert.ok(again.ok);
        // An empty optional text ("ERR x " or "BYE ") is written back without it; otherwise identical.
        const drop = (m: Message): unknown => JSON.parse(JSON.stringify(m, (k, v: unknown) => ((k === "text" && m.type === "ERR") || k === "reason") && v === "" ? undefined : v));
        assert.deepEqual(drop(again.message), drop(first.message));
      }),
      runs(800),
    );
  });
});

describe("fuzzing the beacon parser", () => {
  it("accepts every well-formed beacon and gives it back unchanged", () => {
    fc.assert(
      fc.property(beacon, (b) => {
        const r = parseBeacon(encodeAscii(formatBeacon(b)));
        assert.ok(r.ok, formatBeacon(b));
        assert.deepEqual(r.beacon, b);
      }),
      runs(500),
    );
  });

  it("accepts a mutated beacon exactly when it still has the beacon's shape, and then only its canonical form", () => {
    fc.assert(
      fc.property(beacon, edits, (b, list) => {
        const bytes = applyEdits(encodeAscii(formatBeacon(b)), list);
        const r = parseBeacon(bytes);
        const shaped = bytes.length <= MAX_BEACON && beaconShape.test(latin1(bytes));
        assert.equal(r.ok, shaped, JSON.stringify(latin1(bytes)) + (r.ok ? "" : " " + r.reason));
        if (r.ok) assert.equal(formatBeacon(r.beacon), latin1(bytes));
        else assert.ok(r.reason.length > 0);
      }),
      runs(1000),
    );
  });

  it("rejects any datagram longer than 256 bytes, even one that starts with a valid beacon", () => {
    fc.assert(
      fc.property(beacon, fc.uint8Array({ minLength: MAX_BEACON, maxLength: 400 }), (b, tail) => {
        const head = encodeAscii(formatBeacon(b));
        const bytes = concat([head, tail]);
        const r = parseBeacon(bytes);
        assert.deepEqual(r, { ok: false, reason: "longer than 256 bytes" });
      }),
      runs(300),
    );
  });

  it("rejects a beacon holding any byte outside printable ASCII", () => {
    const badByte = fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0xff }));
    fc.assert(
      fc.property(beacon, fc.nat(), badByte, (b, at, value) => {
        const bytes = encodeAscii(formatBeacon(b));
        bytes[at % bytes.length] = value;
        assert.deepEqual(parseBeacon(bytes), { ok: false, reason: "not printable ASCII" });
      }),
      runs(500),
    );
  });

  it("never throws on arbitrary datagrams", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const r = parseBeacon(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
        assert.equal(r.ok, bytes.length <= MAX_BEACON && beaconShape.test(latin1(bytes)));
      }),
      runs(500),
    );
  });
});
