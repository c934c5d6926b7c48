// `linklab monitor`: RFC 5424 syslog in (what modules/syslog.ts sends, what other senders send, junk), serial
// ports in (xsbug framing and plain text; serialport's mock binding, and a real pseudo-terminal pair made by socat
// when it is installed), the per-board state read through the catalogue of log lines, and the whole command: two
// simulated boards with logTo plus a board sending UDP syslog by hand show up together in one view.
import { strict as assert } from "node:assert";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import fc from "fast-check";
import { SerialPortMock } from "serialport";
import { EV } from "../../modules/events.ts";
import { formatLine } from "../../modules/log.ts";
import { formatSyslog } from "../../modules/syslog.ts";
import { parseSyslog } from "../../host-sim/monitor/syslog.ts";
import { decodeXml, SerialDecoder } from "../../host-sim/monitor/serial.ts";
import { applyLine, describe as describeState, newState } from "../../host-sim/monitor/state.ts";
import { Monitor, type MonitorEvent } from "../../host-sim/monitor/monitor.ts";
import { parseArgs, terminalView } from "../../host-sim/monitor/cli.ts";
import { linklab, type Child } from "../support/child.ts";
import { freeTcpPort, freeUdpPort } from "../support/ports.ts";
import { waitFor } from "../support/wait.ts";

const bytes = (text: string): Uint8Array => Buffer.from(text, "latin1");

describe("monitor: RFC 5424 syslog datagrams", () => {
  it("reads back what a board sends: PRI, level, timestamp or NILVALUE, board id, tag and the line", () => {
    const line = formatLine(5135, "W", EV.client.state.tag, EV.client.serverSilent.message, { silentMs: 3004, timeoutMs: 3000 });
    const sent = parseSyslog(bytes(formatSyslog({ level: "W", line, hostname: "ll-a1b2c3", tag: "tcp.client", wallMs: Date.UTC(2026, 10, 30, 10, 15, 2, 123) })));
    assert.ok(sent.ok);
    assert.deepEqual(sent.message, {
      facility: 16,
      severity: 4,
      level: "W",
      timestamp: "2026-11-30T10:15:02.123Z",
      hostname: "ll-a1b2c3",
      app: "linklab",
      procid: undefined,
      msgid: "tcp.client",
      structured: "-",
      msg: line,
    });
    const noTime = parseSyslog(bytes(formatSyslog({ level: "E", line: "x", hostname: "c1", wallMs: 5000 })));
    assert.ok(noTime.ok && noTime.message.timestamp === undefined && noTime.message.level === "E" && noTime.message.severity === 3);
    assert.equal(formatSyslog({ level: "I", line: "y".repeat(5000), hostname: "c1" }).length, 1024);
  });

  it("reads RFC 5424's own examples (section 6.5), structured data and a BOM included", () => {
    const examples = [
      "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \u00ef\u00bb\u00bf'su root' failed for lonvick on /dev/pts/8",
      "<165>1 2003-08-24T05:14:15.000003-07:00 127.0.0.21 myproc 8710 - - %% It's time to make the do-nuts.",
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] \u00ef\u00bb\u00bfAn application event log entry...',
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]',
    ];
    const parsed = examples.map((e) => parseSyslog(bytes(e)));
    assert.deepEqual(
      parsed.map((p) => (p.ok ? [p.message.hostname, p.message.severity, p.message.msg] : p.reason)),
      [
        ["mymachine.example.com", 2, "'su root' failed for lonvick on /dev/pts/8"],
        ["127.0.0.21", 5, "%% It's time to make the do-nuts."],
        ["mymachine.example.com", 5, "An application event log entry..."],
        ["mymachine.example.com", 5, ""],
      ],
    );
  });

  it("gives every malformed datagram a reason instead of throwing", () => {
    const junk = [
      "", "hello", "<>1 - h a - - - m", "<192>1 - h a - - - m", "<034>1 - h a - - - m", "<13>Oct 11 22:14:15 host app: BSD syslog",
      "<13>2 - h a - - - m", "<13>1 2003-10-11 h a - - - m", "<13>1 - h", "<13>1 - h a p m [unterminated", "<13>1 - h a p m x",
      "<13>1 - " + "h".repeat(256) + " a p m - x", "<13>1 - h a p " + "m".repeat(33) + " - x", "<13>1 - h\u00ff a p m - x",
    ];
    for (const datagram of junk) {
      const result = parseSyslog(bytes(datagram));
      assert.equal(result.ok, false, datagram);
      assert.ok(!result.ok && result.reason.length > 0);
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (data) => {
        const result = parseSyslog(data);
        return result.ok || result.reason.length > 0;
      }),
      { numRuns: 500, seed: 12 },
    );
  });
});

describe("monitor: serial bytes into lines", () => {
  const xsbug = (text: string) => `\r\n<?xs.3FFB1234?>\r\n<xsbug><log>${text}</log></xsbug>\r\n`;
  const board = ["  2310 I main: linklab booting id=ll-a1b2c3 role=server", `  7115 I tcp.client: echo reply seq=0 rttMs=18 text="from=ll-d4e5f6 n=1"`];

  it("takes log lines out of xsbug framing (entities decoded) and plain lines as they are, however the bytes are split", () => {
    const stream =
      "ets Jun  8 2016 00:22:57\r\nrst:0x1 (POWERON_RESET)\r\n<?xs-00000000?>\r\n" +
      xsbug("Wi-Fi connected to &quot;labnet&quot;&#10;") +
      "\r\n<?xs.3FFB1234?>\r\n<xsbug><login name=\"main\" value=\"XS\"/></xsbug>\r\n" +
      xsbug(board[0].replace(/&/g, "&amp;") + "\n") +
      xsbug(board[1].replace(/"/g, "&quot;").slice(0, 30)) +
      xsbug(board[1].replace(/"/g, "&quot;").slice(30) + "\n") +
      "plain &amp; text\n";
    const expected = ["ets Jun  8 2016 00:22:57", "rst:0x1 (POWERON_RESET)", 'Wi-Fi connected to "labnet"', board[0], board[1], "plain &amp; text"];
    for (let split = 0; split <= stream.length; split += 7) {
      const decoder = new SerialDecoder();
      const lines = [...decoder.push(stream.slice(0, split)), ...decoder.push(stream.slice(split)), ...decoder.end()];
      assert.deepEqual(lines, expected, `split at ${split}`);
    }
    const byteByByte = new SerialDecoder();
    const lines: string[] = [];
    for (const c of stream) lines.push(...byteByByte.push(c));
    assert.deepEqual(lines, expected);
    assert.equal(decodeXml("&lt;&#x41;&#66;&bogus;&gt;"), "<AB&bogus;>");
  });

  it("drops an xsbug message that never ends after 64 KB and goes on", () => {
    const decoder = new SerialDecoder();
    decoder.push("<xsbug><log>" + "x".repeat(70000));
    assert.ok(decoder.dropped > 65536);
    assert.deepEqual(decoder.push("after\n"), ["after"]);
  });
});

describe("monitor: a board's state from its log lines", () => {
  it("follows the client through connecting, online, lost and waiting with its backoff, and the server's sessions", () => {
    const state = newState();
    const apply = (ms: number, event: { tag: string; message: string }, fields: Record<string, string | number> = {}, states = "") =>
      applyLine(state, formatLine(ms, "I", event.tag, event.message + states, fields), ms);
    apply(10, EV.main.booting, { id: "c1", role: "both" });
    apply(11, EV.wifi.state, { reason: "no-ssid" }, " idle->up");
    apply(12, EV.server.state, { reason: "start" }, " stopped->listening");
    apply(13, EV.client.state, { reason: "link-up" }, " idle->discovering");
    assert.equal(describeState(state, 13), "discovering; listening, 0 online");
    apply(20, EV.server.sessionState, { reason: "hello", client: "c9" }, " handshaking->online");
    apply(21, EV.client.state, { reason: "welcome", server: "s1" }, " handshaking->online");
    assert.equal(describeState(state, 21), "online to s1; listening, 1 online (c9)");
    apply(30, EV.client.state, { reason: "silent" }, " online->lost");
    assert.equal(describeState(state, 30), "lost; listening, 1 online (c9)");
    apply(31, EV.client.state, { reason: "backoff" }, " lost->waiting");
    apply(31, EV.client.backoff, { delayMs: 2000, attempt: 3, capMs: 4000 });
    assert.equal(describeState(state, 531), "waiting 1.5 s of 2.0 s backoff (attempt 3); listening, 1 online (c9)");
    apply(40, EV.server.sessionState, { reason: "silent", client: "c9" }, " online->closing");
    apply(41, EV.wifi.state, { reason: "lost" }, " up->down");
    assert.equal(describeState(state, 2100), "Wi-Fi down; waiting 0.0 s of 2.0 s backoff (attempt 3); listening, 0 online");
    applyLine(state, formatLine(50, "E", EV.client.callbackFailed.tag, EV.client.callbackFailed.message, { where: "onReadable", error: "x" }), 50);
    assert.match(describeState(state, 50), /1 bug line$/);
    applyLine(state, "not a linklab line", 60);
    assert.equal(state.lines, 13);
  });
});

describe("monitor: serial ports", function () {
  this.timeout(10000);
  let monitor: Monitor;
  afterEach(() => {
    monitor?.close();
    SerialPortMock.binding.reset();
  });

  it("reads a port through serialport (mock binding): xsbug lines labelled with the board id and the port", async () => {
    SerialPortMock.binding.createPort("/dev/ttyMOCK0", { echo: false, record: false });
    monitor = new Monitor();
    const events: MonitorEvent[] = [];
    monitor.subscribe((e) => events.push(e));
    let mock: SerialPortMock | undefined;
    await monitor.addSerial("/dev/ttyMOCK0", {
      opener: (options) => (mock = new SerialPortMock(options)),
    });
    await waitFor(() => events.some((e) => e.type === "source" && e.status === "open"), "the mock port open");
    mock!.port!.emitData(Buffer.from(`\r\n<?xs.00000001?>\r\n<xsbug><log>  2310 I main: linklab booting id=ll-a1b2c3 role=server&#10;</log></xsbug>\r\n`));
    mock!.port!.emitData(Buffer.from("  2315 I tcp.server: state stopped->listening reason=start local=127.0.0.23:8420 maxClients=8\n"));
    await waitFor(() => events.filter((e) => e.type === "line").length === 2, "two lines");
    const lines = events.filter((e) => e.type === "line");
    assert.deepEqual(lines.map((e) => e.board), ["ll-a1b2c3@ttyMOCK0", "ll-a1b2c3@ttyMOCK0"]);
    assert.deepEqual(monitor.boards().map((b) => [b.label, b.source, b.state]), [["ll-a1b2c3@ttyMOCK0", "serial /dev/ttyMOCK0", "listening, 0 online"]]);
  });

  it("reads a real pseudo-terminal (socat pty pair), and reopens the port after it goes away", async function () {
    if (spawnSync("socat", ["-V"]).error) {
      console.log("      skipped: socat is not installed (apt-get install socat)");
      this.skip();
    }
    const dir = `/tmp/linklab-monitor-${process.pid}`;
    const pair = (): ChildProcess => spawn("socat", [`pty,raw,echo=0,link=${dir}-board`, `pty,raw,echo=0,link=${dir}-laptop`], { stdio: "ignore" });
    let socat = pair();
    const { existsSync, writeFileSync } = await import("node:fs");
    try {
      await waitFor(() => existsSync(`${dir}-board`) && existsSync(`${dir}-laptop`), "socat's pty pair", 5000);
      monitor = new Monitor();
      const events: MonitorEvent[] = [];
      monitor.subscribe((e) => events.push(e));
      await monitor.addSerial(`${dir}-laptop`, { retryMs: 200 });
      await waitFor(() => events.some((e) => e.type === "source" && e.status === "open"), "the pty open", 5000);
      writeFileSync(`${dir}-board`, "  4100 I main: linklab booting id=ll-d4e5f6 role=client\r\n  4103 I tcp.client: state idle->discovering reason=link-up\r\n");
      await waitFor(() => monitor.boards()[0]?.state === "discovering", "the board's state over the pty", 5000);
      socat.kill("SIGTERM");
      await waitFor(() => events.some((e) => e.type === "source" && e.status !== "open"), "the port closing", 5000);
      socat = pair();
      await waitFor(() => existsSync(`${dir}-board`), "the second pty pair", 5000);
      await waitFor(() => events.filter((e) => e.type === "source" && e.status === "open").length >= 2, "the port reopened", 5000);
      writeFileSync(`${dir}-board`, "  4200 I tcp.client: state discovering->connecting reason=beacon server=127.0.0.23:8420 attempt=1\n");
      await waitFor(() => monitor.boards()[0]?.state === "connecting", "a line after the reopen", 5000);
      assert.equal(monitor.boards().length, 1, "the same board, not a new one");
    } finally {
      socat.kill("SIGTERM");
    }
  });
});

describe("linklab monitor", function () {
  this.timeout(40000);
  const children: Child[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.stop();
  });

  it("shows two simulated boards (logTo) and a board sending UDP syslog together, with their states, and counts bad datagrams", async () => {
    const udpPort = await freeUdpPort();
    const tcpPort = await freeTcpPort();
    const monitor = linklab(["monitor", "--udp", `127.0.0.1:${udpPort}`]);
    children.push(monitor);
    await monitor.waitForLine(new RegExp(`monitor +\\* udp 127\\.0\\.0\\.1:${udpPort}: open`));
    const logTo = `logTo=127.0.0.1:${udpPort}`;
    const board = (id: string, address: string, words: string[]) => {
      const child = linklab(["run", ".", `id=${id}`, logTo, `port=${tcpPort}`, "beaconMs=0", ...words], { env: { LINKLAB_BOARD_ADDRESS: address } });
      children.push(child);
      return child;
    };
    board("mon-srv", "127.0.0.2", ["role=server"]);
    board("mon-c1", "127.0.0.3", ["role=client", "server=127.0.0.2"]);
    // A board on real hardware (or anything else speaking RFC 5424), by hand: one datagram per line.
    const hand = createSocket("udp4");
    const send = (text: string) => new Promise<void>((resolve, reject) => hand.send(Buffer.from(text, "latin1"), udpPort, "127.0.0.1", (e) => (e ? reject(e) : resolve())));
    try {
      await send(formatSyslog({ level: "I", hostname: "hw-board", tag: "tcp.client", line: formatLine(4103, "I", EV.client.state.tag, EV.client.state.message + " idle->discovering", { reason: "link-up" }) }));
      await send("this is not syslog");
      await send("<13>1 - h a - - [unterminated");
      await monitor.waitForLine(/^ +[\d.]+ mon-c1 +\* online to mon-srv$/, 20000);
      await monitor.waitForLine(/^ +[\d.]+ mon-srv +\* listening, 1 online \(mon-c1\)$/, 5000);
      await monitor.waitForLine(/^ +[\d.]+ hw-board +\| +4103 I tcp\.client: state idle->discovering reason=link-up$/, 5000);
      await monitor.waitForLine(/^ +[\d.]+ hw-board +\* discovering$/, 5000);
      await monitor.waitForLine(/^ +[\d.]+ bad +! datagram from 127\.0\.0\.1:\d+ is not RFC 5424 syslog: no <PRI> at the start \(not syslog\) \(1 since the last such line, 1 in all\)$/, 5000);
      await monitor.waitForLine(/^ +[\d.]+ mon-srv +\| +\d+ I tcp\.server: handshake done, client online session=1 client=mon-c1 /, 5000);
      await monitor.waitForLine(/^ +[\d.]+ mon-c1 +\| +\d+ I tcp\.client: heartbeat: sending PING seq=0 /, 10000);
      // The second bad datagram is counted, not printed (one such line per 5 s), and the monitor carries on.
      assert.equal(monitor.stdout.filter((l) => l.includes("not RFC 5424")).length, 1);
      assert.equal(monitor.process.exitCode, null, "the monitor is still running");
      const labels = new Set(monitor.stdout.map((l) => /^ +[\d.]+ (\S+) +\|/.exec(l)?.[1]).filter(Boolean));
      assert.deepEqual([...labels].sort(), ["hw-board", "mon-c1", "mon-srv"]);
    } finally {
      hand.close();
    }
    monitor.process.kill("SIGINT");
    assert.equal((await monitor.waitForExit(5000)).code, 0);
  });

  it("with --ui serves the live page, fed with the boards' lines recognised as in a lab run", async () => {
    const udpPort = await freeUdpPort();
    const monitor = linklab(["monitor", "--udp", `127.0.0.1:${udpPort}`, "--ui"]);
    children.push(monitor);
    const url = /the live page is at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(await monitor.waitForLine(/the live page is at http:\/\/127\.0\.0\.1:\d+\//))![1];
    await monitor.waitForLine(new RegExp(`monitor +\\* udp 127\\.0\\.0\\.1:${udpPort}: open`));
    const hand = createSocket("udp4");
    const line = formatLine(4103, "I", EV.client.state.tag, EV.client.state.message + " handshaking->online", { reason: "welcome" });
    try {
      await new Promise<void>((resolve, reject) => hand.send(Buffer.from(formatSyslog({ level: "I", hostname: "hw-board", tag: "tcp.client", line }), "latin1"), udpPort, "127.0.0.1", (e) => (e ? reject(e) : resolve())));
      await monitor.waitForLine(/hw-board +\* online/, 5000);
    } finally {
      hand.close();
    }
    const page = await fetch(url);
    assert.equal(page.status, 200);
    const run = (await (await fetch(url + "run.json")).json()) as { header: { source: string; boards: { id: string }[] }; events: { board: string; name: string }[] };
    assert.equal(run.header.source, "monitor");
    assert.deepEqual(run.header.boards.map((b) => b.id), ["hw-board"]);
    assert.deepEqual(run.events.filter((e) => e.board === "hw-board").map((e) => e.name), ["line", "state", "online", "handshake"]);
    monitor.process.kill("SIGINT");
    assert.equal((await monitor.waitForExit(5000)).code, 0);
  });

  it("refuses a command line with nothing to monitor or a bad option, in one line, exit 2", async () => {
    assert.throws(() => parseArgs([]), /nothing to monitor/);
    assert.throws(() => parseArgs(["--udp", "host:99"]), /not an IPv4 address/);
    assert.throws(() => parseArgs(["--udp", "70000"]), /not a port number/);
    assert.throws(() => parseArgs(["/dev/ttyUSB0@fast"]), /not a speed/);
    assert.deepEqual(parseArgs(["/dev/ttyUSB0", "/dev/ttyUSB1@460800", "--baud", "230400", "--udp", "5514"]), {
      serial: [
        { path: "/dev/ttyUSB0", baudRate: 230400 },
        { path: "/dev/ttyUSB1", baudRate: 460800 },
      ],
      udp: { address: "0.0.0.0", port: 5514 },
      debug: false,
      ui: false,
    });
    const child = linklab(["monitor", "--frobnicate"]);
    children.push(child);
    assert.equal((await child.waitForExit(10000)).code, 2);
    assert.match(child.stderr[0], /^linklab monitor: unknown option '--frobnicate'$/);
  });

  it("keeps each board's state at the bottom of a terminal, below the lines", () => {
    const monitor = new Monitor();
    let screen = "";
    const stop = terminalView(monitor, { isTTY: true, write: (t: string) => (screen += t) }, { color: false });
    monitor.feed("udp:c1", "c1", "udp 127.0.0.3:5000", formatLine(1, "I", EV.client.state.tag, EV.client.state.message + " idle->discovering", { reason: "link-up" }));
    monitor.feed("udp:s1", "s1", "udp 127.0.0.2:5000", formatLine(2, "D", EV.beacon.sent.tag, EV.beacon.sent.message, { seq: 1 }));
    stop();
    monitor.close();
    assert.match(screen, /c1 +\| +1 I tcp\.client: state idle->discovering reason=link-up\nc1 +=  ?discovering/);
    assert.ok(!screen.includes("beacon sent"), "D lines are hidden without --debug");
    assert.match(screen, /s1 += no state yet/);
  });
});
