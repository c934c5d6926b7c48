import { strict as assert } from "node:assert";
import { formatBeacon, formatMessage, isId, isIPv4, parseBeacon, parseLine, parseUint, type ErrCode, type Message } from "linklab/protocol";

const ok = (line: string): Message => {
  const r = parseLine(line);
  if (!r.ok) throw new Error(line + ": " + r.reason);
  return r.message;
};
const bad = (line: string) => {
  const r = parseLine(line);
  assert.equal(r.ok, false, line);
  return r.ok ? "" : r.code;
};
const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe("linklab/protocol", () => {
  it("round-trips every v1 message through format and parse", () => {
    const messages: Message[] = [
      { type: "HELLO", clientId: "c1" },
      { type: "HELLO", clientId: "c-2.x_y", token: "s3cr!t" },
      { type: "WELCOME", serverId: "s1", session: 4, heartbeatMs: 1000, timeoutMs: 3000 },
      { type: "PING", seq: 0 },
      { type: "PONG", seq: 123456 },
      { type: "ECHO", seq: 7, text: "hello world" },
      { type: "PUSH", seq: 8, text: "t=99" },
      { type: "BYE" },
      { type: "BYE", reason: "going away" },
      { type: "ERR", code: "busy", text: "server has 8 sessions" },
    ];
    for (const m of messages) assert.deepEqual(ok(formatMessage(m)), m, formatMessage(m));
  });

  it("sends every ERR code of the firmware as a well-formed ERR line", () => {
    const codes: ErrCode[] = ["too-long", "unknown", "bad-syntax", "bad-bytes", "bad-hello", "not-ready", "unexpected", "auth", "busy", "hello-timeout", "too-many-errors", "replaced"];
    for (const code of codes) {
      assert.ok(isId(code), code);
      const m: Message = { type: "ERR", code, text: "why it happened" };
      assert.deepEqual(ok(formatMessage(m)), m, code);
    }
  });

  it("parses the lines a person types in nc", () => {
    assert.deepEqual(ok("HELLO alice"), { type: "HELLO", clientId: "alice" });
    assert.deepEqual(ok("PING 1"), { type: "PING", seq: 1 });
    assert.deepEqual(ok("ECHO 2 hi there"), { type: "ECHO", seq: 2, text: "hi there" });
    assert.deepEqual(ok("ECHO 3"), { type: "ECHO", seq: 3, text: "" });
    assert.deepEqual(ok("BYE"), { type: "BYE" });
  });

  it("refuses malformed HELLOs with bad-hello", () => {
    for (const line of ["HELLO", "HELLO a b c", "HELLO bad/id", "HELLO c1 tok=x", "HELLO c1 token=", "HELLO " + "x".repeat(33)]) assert.equal(bad(line), "bad-hello", line);
  });

  it("refuses unknown verbs with unknown and malformed arguments with bad-syntax", () => {
    assert.equal(bad("GET / HTTP/1.0"), "unknown");
    assert.equal(bad("ping 1"), "unknown");
    assert.equal(bad(""), "unknown");
    for (const line of ["PING", "PING x", "PING -1", "PING 01", "PING  1", "PING 1 2", "ECHO", "ECHO x y", "ERR", "WELCOME s1 session=1", "WELCOME s1 session=1 heartbeatMs=1 timeoutMs=x"])
      assert.equal(bad(line), "bad-syntax", line);
  });

  it("parses decimal sequence numbers without signs or leading zeros", () => {
    assert.equal(parseUint("0"), 0);
    assert.equal(parseUint("42"), 42);
    assert.equal(parseUint("042"), undefined);
    assert.equal(parseUint("4e2"), undefined);
    assert.equal(parseUint("1".repeat(16)), undefined);
  });

  it("checks dotted-quad IPv4 addresses", () => {
    assert.ok(isIPv4("127.168.4.1"));
    assert.ok(isIPv4("255.255.255.255"));
    for (const a of ["127.0.0.256", "127.0.0", "0127.0.0.1", "a.b.c.d", "127.0.0.1.5", ""]) assert.ok(!isIPv4(a), a);
  });

  const beacon = { id: "s1", role: "server" as const, ip: "127.168.4.1", port: 8420, seq: 5, uptimeMs: 12000 };

  it("formats the beacon in its exact shape and parses it back", () => {
    const text = formatBeacon(beacon);
    assert.equal(text, "LINKLAB1 id=s1 role=server ip=127.168.4.1 port=8420 seq=5 uptimeMs=12000");
    assert.deepEqual(parseBeacon(bytes(text)), { ok: true, beacon });
  });

  it("rejects anything that is not exactly the beacon shape, with a reason", () => {
    const good = formatBeacon(beacon);
    const cases = [
      good + "\n",
      good + " extra=1",
      good.replace("LINKLAB1", "LINKLAB2"),
      good.replace("role=server", "role=client"),
      good.replace("ip=127.168.4.1", "ip=999.1.1.1"),
      good.replace("port=8420", "port=0"),
      good.replace("port=8420", "port=70000"),
      good.replace("seq=5", "seq=-5"),
      good.replace("id=s1", "id="),
      good.replace(" seq=5 uptimeMs=12000", " uptimeMs=12000 seq=5"),
      "",
      "x".repeat(300),
    ];
    for (const c of cases) {
      const r = parseBeacon(bytes(c));
      assert.equal(r.ok, false, JSON.stringify(c));
      if (!r.ok) assert.ok(r.reason.length > 0);
    }
    assert.equal(parseBeacon(Uint8Array.from([0xff, 0xfe])).ok, false);
  });

  it("refuses a beacon datagram over 256 bytes even when well formed", () => {
    const long = formatBeacon({ ...beacon, id: "a".repeat(32) }).padEnd(257, " ");
    assert.deepEqual(parseBeacon(bytes(long)), { ok: false, reason: "longer than 256 bytes" });
  });
});
