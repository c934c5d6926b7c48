// A person at `nc 127.0.0.1 <port>` can hold the whole v1 conversation with a simulated server by hand.
import { strict as assert } from "node:assert";
import { TestHarness } from "./harness.ts";

describe("talking to the server like nc", () => {
  let lab: TestHarness;
  beforeEach(() => {
    lab = new TestHarness();
  });
  afterEach(() => lab.close());

  it("holds the HELLO, PING, ECHO, BYE conversation typed by hand", async () => {
    const server = lab.server({ heartbeatMs: 1000, timeoutMs: 3000 });
    server.start("127.0.0.1");
    const nc = await lab.raw(server.port);
    assert.match(await nc.say("PING 1"), /^ERR not-ready send HELLO/);
    assert.equal(await nc.say("HELLO alice"), "WELCOME s1 session=1 heartbeatMs=1000 timeoutMs=3000");
    assert.equal(await nc.say("PING 1"), "PONG 1");
    assert.equal(await nc.say("ECHO 2 hello from a person"), "ECHO 2 hello from a person");
    assert.equal(await nc.say("ECHO 3 crlf works too\r"), "ECHO 3 crlf works too");
    assert.match(await nc.say("echo 4 lowercase"), /^ERR unknown /);
    assert.equal(await nc.say("BYE"), "BYE");
    await nc.waitEnded();
    assert.ok(lab.count(/peer said BYE, answering BYE and closing/) === 1);
  });

  it("gets ERR hello-timeout when it never says HELLO", async () => {
    const server = lab.server({ handshakeMs: 200 });
    server.start("127.0.0.1");
    const nc = await lab.raw(server.port);
    assert.match(await nc.line(0), /^ERR hello-timeout no HELLO within 200 ms$/);
    await nc.waitEnded();
  });

  it("gets ERR auth for a wrong token", async () => {
    const server = lab.server({ token: "sesame" });
    server.start("127.0.0.1");
    const nc = await lab.raw(server.port);
    assert.match(await nc.say("HELLO eve token=guess"), /^ERR auth /);
    await nc.waitEnded();
  });
});
