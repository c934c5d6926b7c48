// The client role: one state machine (changed only by #enter) that finds the server (configured, or by beacon with
// server=auto), connects, says HELLO, stays online with a PING every heartbeatMs and declares the link lost after
// timeoutMs of silence, then retries with jittered exponential backoff; at once when the Wi-Fi link returns. ECHO
// traffic is checked for gaps, duplicates and round-trip time; messages made while offline wait in a bounded outbox.

import { Backoff } from "linklab/backoff";
import { LineConnection } from "linklab/conn";
import { EV } from "linklab/events";
import type { Frame } from "linklab/framing";
import { EchoTracker, SequenceCheck } from "linklab/echo";
import { PeriodicCheck, verdict } from "linklab/heartbeat";
import { Sampler, type EventFields, type TagLog } from "linklab/log";
import type { Clock, TcpClass, TcpKeepalive, TimerId, Timers } from "linklab/ports";
import { formatMessage, isIPv4, parseLine, type Message } from "linklab/protocol";
import type { ClientSettings } from "linklab/settings";

/** What a state change of the client may carry (the catalogue entry's keys). */
type StateFields = EventFields<(typeof EV.client.state.keys)[number]>;

/**
 * The client's settings (linklab/settings CLIENT_KEYS: `server` is "auto" to discover by beacon, an IPv4 address or
 * a host name), its protocol id, and how often routine lines are logged.
 */
export type ClientOptions = ClientSettings & { id: string; logEvery: number };
export type ClientDeps = {
  TCP: TcpClass;
  timers: Timers;
  clock: Clock;
  log: TagLog;
  random: () => number;
  /** DNS lookup for a `server` that is a host name (Net.resolve on the board); without it the name goes to TCP as `host`. */
  resolve?: (host: string, callback: (address: string | undefined) => void) => void;
};

export type ClientState =
  | "idle" // nothing to do: not started, or (mode=short) between messages
  | "paused" // the Wi-Fi link is down
  | "discovering" // server=auto and no beacon heard yet
  | "resolving" // looking up the server's host name (DNS)
  | "connecting" // SYN sent, waiting for the three-way handshake
  | "handshaking" // TCP connected, HELLO sent, waiting for WELCOME
  | "online"
  | "closing" // BYE sent, waiting for the server's BYE or FIN
  | "lost" // the connection failed or went silent (passing through to waiting)
  | "waiting" // backoff before the next attempt
  | "closed";

/** TCP keep-alive probes asked for when tcpKeepaliveS > 0 (idle and interval are both tcpKeepaliveS). */
const KEEPALIVE_PROBES = 3;

export class Client {
  #state: ClientState = "idle";
  /** Changed only by #enter. */
  get state(): ClientState {
    return this.#state;
  }
  readonly stats = {
    attempts: 0,
    connected: 0,
    handshakes: 0,
    lost: 0,
    echoSent: 0,
    echoOk: 0,
    echoLost: 0,
    echoDuplicate: 0,
    outboxDropped: 0,
    pushes: 0,
    pushGaps: 0,
    pingsSent: 0,
    pongs: 0,
    lastRttMs: -1,
  };
  #options: ClientOptions;
  #deps: ClientDeps;
  #log: TagLog;
  #backoff: Backoff;
  #conn: LineConnection | undefined;
  #linkUp = false;
  #started = false;
  #serverId: string | undefined;
  /** The server found by beacon has answered a HELLO at least once (until then another server's beacon may replace it). */
  #serverReached = false;
  #serverAddress: string | undefined;
  #serverPort: number;
  #heartbeatMs: number;
  #timeoutMs: number;
  #checkTimer: TimerId | undefined;
  #periodic = new PeriodicCheck();
  #retry: TimerId | undefined;
  #echoTimer: TimerId | undefined;
  #deadlineMs = 0;
  #attemptMs = 0;
  #outbox: string[] = [];
  #echoCount = 0;
  #echoes = new EchoTracker();
  #pingSeq = 0;
  #pingSentMs = new Map<number, number>();
  #pushes = new SequenceCheck();
  #resolveAttempt = 0;
  #heartbeatSampler: Sampler;
  #dropSampler: Sampler;
  #keepaliveSaid = false;

  constructor(options: ClientOptions, deps: ClientDeps) {
    this.#options = options;
    this.#deps = deps;
    this.#log = deps.log;
    this.#backoff = new Backoff({ baseMs: options.backoffBaseMs, maxMs: options.backoffMaxMs, random: deps.random });
    this.#heartbeatMs = options.heartbeatMs;
    this.#timeoutMs = options.timeoutMs;
    this.#serverPort = options.port;
    if (options.server !== "auto") this.#serverAddress = options.server;
    this.#heartbeatSampler = new Sampler(options.logEvery);
    this.#dropSampler = new Sampler(Math.max(1, options.logEvery));
  }

  get outboxLength(): number {
    return this.#outbox.length;
  }
  get inflight(): number {
    return this.#echoes.inflight;
  }
  /** The timings in force (adopted from WELCOME once online). */
  get timing(): { heartbeatMs: number; timeoutMs: number } {
    return { heartbeatMs: this.#heartbeatMs, timeoutMs: this.#timeoutMs };
  }
  get server(): string | undefined {
    return this.#serverAddress === undefined ? undefined : this.#serverAddress + ":" + this.#serverPort;
  }

  /** Begin (the periodic ECHO traffic starts now); connects once the link is up. */
  start(): void {
    if (this.#started || this.state === "closed") return;
    this.#started = true;
    if (this.#options.echoMs > 0) this.#echoTimer ??= this.#deps.timers.set(() => this.#makeEcho(), this.#options.echoMs, this.#options.echoMs);
    if (this.#linkUp) this.#kick("start");
  }

  linkUp(address: string): void {
    this.#linkUp = true;
    if (this.state === "paused" || this.state === "waiting" || this.state === "idle") {
      if (this.state !== "idle") this.#log.i(EV.client.linkUp, { ip: address, state: this.state });
      this.#clearRetry();
      this.#backoff.reset();
      if (this.#started) this.#kick("link-up");
    }
  }

  linkDown(reason: string): void {
    this.#linkUp = false;
    if (this.state === "closed") return;
    this.#clearRetry();
    this.#resolveAttempt++;
    if (this.#conn) {
      this.#log.w(EV.client.linkDown, { reason });
      this.#dropConnection();
    }
    this.#enter("paused", reason);
  }

  /** A beacon was heard (server=auto): adopt the first server id, follow its address. */
  offerServer(id: string, address: string, port: number): void {
    if (this.#options.server !== "auto" || this.state === "closed") return;
    // A server that never answered (a stale or spoofed beacon) must not hold the client: while backing off from it,
    // another server's beacon replaces it. Once one has answered, the client sticks to it.
    const replacing = this.#serverId !== undefined && id !== this.#serverId && !this.#serverReached && this.state === "waiting" ? this.#serverId : undefined;
    if (this.#serverId === undefined || replacing !== undefined) {
      this.#serverId = id;
      this.#log.i(EV.client.foundByBeacon, { server: id, ip: address, port, replacing });
    } else if (id !== this.#serverId) return;
    if (address !== this.#serverAddress || port !== this.#serverPort) {
      if (this.#serverAddress !== undefined) this.#log.i(EV.client.addressChanged, { server: id, from: this.server, to: address + ":" + port });
      this.#serverAddress = address;
      this.#serverPort = port;
    }
    if (this.state === "discovering") this.#kick("beacon");
  }

  /** Send an ECHO with `text` now if online (persistent), else keep it in the outbox. */
  send(text: string): boolean {
    if (this.state === "closed") return false;
    if (this.state === "online" && this.#options.mode === "persistent" && this.#outbox.length === 0) {
      this.#sendEcho(text);
      return true;
    }
    if (this.#outbox.length >= this.#options.outboxMax) {
      this.stats.outboxDropped++;
      this.#log.at(this.#dropSampler.take() ? "W" : "D", EV.client.outboxFull, { outboxMax: this.#options.outboxMax, dropped: this.stats.outboxDropped, state: this.state });
      return false;
    }
    this.#outbox.push(text);
    if (this.#options.mode === "short" && this.state === "idle" && this.#started) this.#kick("message");
    return true;
  }

  /** Say BYE if online, then release everything; idempotent, and silent afterwards. */
  close(): void {
    if (this.state === "closed") return;
    const conn = this.#conn;
    this.#conn = undefined;
    if (conn && this.state === "online") conn.send(formatMessage({ type: "BYE", reason: "closing" }));
    conn?.end();
    this.#dropConnection();
    this.#clearRetry();
    this.#deps.timers.clear(this.#echoTimer);
    this.#echoTimer = undefined;
    this.#enter("closed", "close");
  }

  #enter(next: ClientState, reason: string, fields?: StateFields): void {
    if (next === this.state) return;
    this.#log.state("I", EV.client.state, this.state, next, { reason, ...fields });
    this.#state = next;
  }

  #clearRetry(): void {
    this.#deps.timers.clear(this.#retry);
    this.#retry = undefined;
  }

  #stopTicking(): void {
    this.#deps.timers.clear(this.#checkTimer);
    this.#checkTimer = undefined;
  }

  #startTicking(): void {
    this.#stopTicking();
    const everyMs = this.#periodic.start(this.#heartbeatMs, this.#timeoutMs, this.#deps.clock());
    this.#checkTimer = this.#deps.timers.set(() => this.#check(), everyMs, everyMs);
  }

  /** No connection exists: decide what to do next. */
  #kick(reason: string): void {
    if (this.state === "closed") return;
    if (!this.#linkUp) return this.#enter("paused", reason);
    if (this.#serverAddress === undefined) return this.#enter("discovering", reason);
    if (this.#options.mode === "short" && this.#outbox.length === 0) return this.#enter("idle", reason);
    this.#connect(reason);
  }

  #connect(reason: string): void {
    const host = this.#serverAddress!;
    if (isIPv4(host) || !this.#deps.resolve) return this.#open(host, reason);
    const attempt = ++this.#resolveAttempt;
    this.#attemptMs = this.#deps.clock();
    this.#deadlineMs = this.#attemptMs + this.#options.connectTimeoutMs;
    this.#enter("resolving", reason, { host });
    this.#startTicking();
    try {
      this.#deps.resolve(host, (address) => {
        if (attempt !== this.#resolveAttempt || this.state !== "resolving") return;
        if (address && isIPv4(address)) {
          this.#log.i(EV.client.resolved, { host, ip: address, afterMs: this.#deps.clock() - this.#attemptMs });
          this.#open(address, "resolved");
        } else {
          this.#log.w(EV.client.lookupFailed, { host });
          this.#wait("dns-failed");
        }
      });
    } catch (error) {
      this.#log.w(EV.client.lookupFailed, { host, error: String(error) });
      this.#wait("dns-failed");
    }
  }

  #open(address: string, reason: string): void {
    const port = this.#serverPort;
    this.stats.attempts++;
    this.#heartbeatMs = this.#options.heartbeatMs;
    this.#timeoutMs = this.#options.timeoutMs;
    let keepalive: TcpKeepalive | undefined;
    if (this.#options.tcpKeepaliveS > 0) {
      const ms = this.#options.tcpKeepaliveS * 1000;
      keepalive = { enable: true, idle: ms, interval: ms, count: KEEPALIVE_PROBES };
      if (!this.#keepaliveSaid) {
        this.#keepaliveSaid = true;
        this.#log.i(EV.client.keepalive, { idleS: this.#options.tcpKeepaliveS, intervalS: this.#options.tcpKeepaliveS, count: KEEPALIVE_PROBES });
      }
    }
    this.#attemptMs = this.#deps.clock();
    this.#deadlineMs = this.#attemptMs + this.#options.connectTimeoutMs;
    this.#enter("connecting", reason, { server: address + ":" + port, attempt: this.#backoff.attempt + 1 });
    this.#log.i(EV.client.connecting, { server: address + ":" + port });
    let conn: LineConnection;
    try {
      conn = new LineConnection(
        this.#deps.TCP,
        isIPv4(address) ? { address, port } : { host: address, port },
        { maxLine: this.#options.maxLine, queueMax: this.#options.maxLine * Math.max(8, this.#options.outboxMax + 4), clock: this.#deps.clock, nodelay: true, keepalive },
        {
          connected: () => conn === this.#conn && this.#connected(),
          frame: (frame) => conn === this.#conn && this.#frame(frame),
          ended: (how) => conn === this.#conn && this.#ended(how),
          overflow: () => conn === this.#conn && this.#lose("send-queue-full", { queued: conn.queuedBytes }),
          // A bug in the handlers: logged, and the connection given up (its state can no longer be trusted).
          failed: (error, where) => {
            this.#log.e(EV.client.callbackFailed, { where, error: String(error) });
            if (conn === this.#conn) this.#lose("callback-failed");
          },
        },
      );
    } catch (error) {
      this.#log.w(EV.client.cannotOpen, { error: String(error) });
      this.#wait("socket-error");
      return;
    }
    this.#conn = conn;
    this.#startTicking();
  }

  #connected(): void {
    this.stats.connected++;
    const conn = this.#conn!;
    this.#log.i(EV.client.connected, { server: this.server, connectMs: this.#deps.clock() - this.#attemptMs });
    this.#deadlineMs = this.#deps.clock() + this.#options.handshakeMs;
    this.#enter("handshaking", "tcp-connected");
    const hello: Message = this.#options.token ? { type: "HELLO", clientId: this.#options.id, token: this.#options.token } : { type: "HELLO", clientId: this.#options.id };
    conn.send(formatMessage(hello));
  }

  #ended(how: "refused" | "ended"): void {
    this.#conn = undefined;
    if (how === "refused") {
      this.#log.w(EV.client.connectFailed, { server: this.server, afterMs: this.#deps.clock() - this.#attemptMs });
      this.#wait("refused");
    } else if (this.state === "closing") {
      this.#log.i(EV.client.serverFin);
      this.#finishClosing("fin");
    } else {
      this.#log.w(EV.client.serverGone, { state: this.state });
      this.#lose("connection-ended");
    }
  }

  /** The connection failed while in use: count what it took with it, then back off. */
  #lose(reason: string, fields?: StateFields): void {
    this.stats.lost++;
    this.#enter("lost", reason, fields);
    if (this.#conn && reason !== "connection-ended") this.#log.i(EV.client.closing, { reason });
    this.#dropConnection();
    this.#wait(reason);
  }

  /** Release the socket and account for unanswered ECHOs. */
  #dropConnection(): void {
    this.#stopTicking();
    const conn = this.#conn;
    this.#conn = undefined;
    conn?.close();
    const unanswered = this.#echoes.dropAll();
    if (unanswered > 0) {
      this.stats.echoLost += unanswered;
      this.#log.w(EV.client.echoLostWithConnection, { count: unanswered, lostTotal: this.stats.echoLost });
    }
    this.#pingSentMs.clear();
  }

  #wait(reason: string): void {
    this.#stopTicking();
    if (!this.#linkUp) return this.#enter("paused", reason);
    const delayMs = this.#backoff.next();
    this.#enter("waiting", reason);
    this.#log.i(EV.client.backoff, { delayMs, attempt: this.#backoff.attempt, capMs: this.#backoff.capMs(this.#backoff.attempt - 1) });
    this.#clearRetry();
    this.#retry = this.#deps.timers.set(() => {
      this.#retry = undefined;
      if (this.state === "waiting") this.#kick("backoff");
    }, delayMs);
  }

  #check(): void {
    const now = this.#deps.clock();
    // As on the server: a check that comes late found the board stalled, and the bytes that arrived meanwhile wait
    // unread behind this timer, so a "silent" verdict now could be false. Judge next round, after they are read.
    const sinceMs = this.#periodic.late(now);
    if (sinceMs !== undefined) return this.#log.w(EV.client.checkLate, { sinceMs, everyMs: this.#periodic.everyMs });
    if (this.state === "resolving") {
      if (now >= this.#deadlineMs) {
        this.#resolveAttempt++;
        this.#log.w(EV.client.lookupTimedOut, { host: this.#serverAddress, connectTimeoutMs: this.#options.connectTimeoutMs });
        this.#wait("dns-timeout");
      }
      return;
    }
    const conn = this.#conn;
    if (!conn) return this.#stopTicking();
    if (this.state === "connecting") {
      if (now >= this.#deadlineMs) {
        this.#log.w(EV.client.connectTimedOut, { server: this.server, connectTimeoutMs: this.#options.connectTimeoutMs });
        this.#dropConnection();
        this.#wait("connect-timeout");
      }
      return;
    }
    if (this.state === "handshaking" && now >= this.#deadlineMs) {
      this.#log.w(EV.client.noWelcome, { handshakeMs: this.#options.handshakeMs });
      return this.#lose("handshake-timeout");
    }
    if (this.state === "closing" && now >= this.#deadlineMs) {
      this.#log.w(EV.client.noBye);
      return this.#finishClosing("bye-timeout");
    }
    if (this.state === "handshaking") return;
    const v = verdict(now, conn.lastRxMs, conn.lastTxMs, this.#heartbeatMs, this.#timeoutMs);
    if (v === "dead") {
      this.#log.w(EV.client.serverSilent, { silentMs: now - conn.lastRxMs, timeoutMs: this.#timeoutMs });
      this.#lose("silent", { silentMs: now - conn.lastRxMs });
    } else if (v === "ping-due" && this.state === "online") {
      const seq = this.#pingSeq++;
      this.stats.pingsSent++;
      this.#pingSentMs.clear();
      this.#pingSentMs.set(seq, now);
      this.#log.at(this.#heartbeatSampler.take() ? "I" : "D", EV.client.pingSent, { seq, quietMs: now - conn.lastRxMs });
      conn.send(formatMessage({ type: "PING", seq }));
    }
  }

  #frame(frame: Frame): void {
    if (frame.kind !== "line") {
      this.#log.w(EV.client.badLine, { kind: frame.kind, bytes: frame.bytes });
      return;
    }
    if (frame.text.length === 0) return;
    const parsed = parseLine(frame.text);
    if (!parsed.ok) {
      this.#log.w(EV.client.unparsable, { code: parsed.code, reason: parsed.reason });
      return;
    }
    const message = parsed.message;
    const conn = this.#conn!;
    switch (message.type) {
      case "WELCOME":
        if (this.state !== "handshaking") return this.#log.w(EV.client.unexpectedWelcome, { state: this.state });
        return this.#welcome(message);
      case "ERR":
        this.#log.w(EV.client.serverErr, { code: message.code, text: message.text, state: this.state });
        if (this.state === "handshaking") {
          this.#dropConnection();
          this.#wait("refused-" + message.code);
        }
        return;
      case "BYE":
        if (this.state === "closing") {
          this.#log.i(EV.client.serverAnsweredBye);
          return this.#finishClosing("bye");
        }
        this.#log.i(EV.client.serverBye, { reason: message.reason });
        conn.send(formatMessage({ type: "BYE" }));
        conn.end();
        this.#conn = undefined;
        this.#dropConnection();
        return this.#wait("server-bye");
      case "PING":
        conn.send(formatMessage({ type: "PONG", seq: message.seq }));
        return;
      case "PONG": {
        this.stats.pongs++;
        const sentMs = this.#pingSentMs.get(message.seq);
        const rttMs = sentMs === undefined ? undefined : this.#deps.clock() - sentMs;
        this.#pingSentMs.delete(message.seq);
        this.#log.at(this.#heartbeatSampler.take() ? "I" : "D", EV.client.pongReceived, { seq: message.seq, rttMs });
        return;
      }
      case "ECHO":
        return this.#echoReply(message.seq, message.text);
      case "PUSH": {
        this.stats.pushes++;
        const expected = this.#pushes.next(message.seq);
        if (expected !== undefined) {
          this.stats.pushGaps++;
          this.#log.w(EV.client.pushGap, { expected, got: message.seq });
        }
        this.#log.at(this.#heartbeatSampler.take() ? "I" : "D", EV.client.push, { seq: message.seq, text: message.text });
        return;
      }
      default:
        this.#log.w(EV.client.unexpected, { type: message.type });
    }
  }

  #welcome(message: Extract<Message, { type: "WELCOME" }>): void {
    const { heartbeatMs, timeoutMs } = message;
    if (heartbeatMs > 0 && timeoutMs > heartbeatMs) {
      if (heartbeatMs !== this.#heartbeatMs || timeoutMs !== this.#timeoutMs) this.#log.i(EV.client.adoptingTimings, { heartbeatMs, timeoutMs });
      this.#heartbeatMs = heartbeatMs;
      this.#timeoutMs = timeoutMs;
    } else this.#log.w(EV.client.timingsUnusable, { heartbeatMs, timeoutMs });
    this.stats.handshakes++;
    this.#serverReached = true;
    this.#backoff.reset();
    this.#pushes.reset();
    this.#enter("online", "welcome", { server: message.serverId, session: message.session, handshakeMs: this.#deps.clock() - this.#attemptMs });
    this.#startTicking();
    this.#flushOutbox();
  }

  #flushOutbox(): void {
    if (this.state !== "online") return;
    if (this.#options.mode === "short") {
      const text = this.#outbox.shift();
      if (text === undefined) return this.#beginClosing("nothing-to-send");
      this.#sendEcho(text);
      return;
    }
    if (this.#outbox.length > 0) this.#log.i(EV.client.sendingQueued, { count: this.#outbox.length });
    while (this.#outbox.length > 0 && this.state === "online") this.#sendEcho(this.#outbox.shift()!);
  }

  #makeEcho(): void {
    this.#echoCount++;
    this.send("from=" + this.#options.id + " n=" + this.#echoCount);
  }

  #sendEcho(text: string): void {
    const conn = this.#conn;
    if (!conn) return;
    const { seq, overdue } = this.#echoes.send(this.#deps.clock());
    if (overdue !== undefined) {
      this.stats.echoLost++;
      this.#log.w(EV.client.echoOverdue, { seq: overdue, lostTotal: this.stats.echoLost });
    }
    this.stats.echoSent++;
    conn.send(formatMessage({ type: "ECHO", seq, text }));
  }

  #echoReply(seq: number, text: string): void {
    const reply = this.#echoes.reply(seq, this.#deps.clock());
    if (reply.kind === "duplicate") {
      this.stats.echoDuplicate++;
      return this.#log.w(EV.client.echoDuplicate, { seq });
    }
    if (reply.kind === "never-sent") return this.#log.w(EV.client.echoNeverSent, { seq });
    if (reply.missing > 0) {
      this.stats.echoLost += reply.missing;
      this.#log.w(EV.client.echoGap, { before: seq, missing: reply.missing, lostTotal: this.stats.echoLost });
    }
    this.stats.echoOk++;
    this.stats.lastRttMs = reply.rttMs;
    this.#log.at(this.#heartbeatSampler.take() ? "I" : "D", EV.client.echoReply, { seq, rttMs: reply.rttMs, text });
    if (this.#options.mode === "short" && this.#echoes.inflight === 0) this.#beginClosing("message-done");
  }

  #beginClosing(reason: string): void {
    const conn = this.#conn;
    if (!conn) return;
    this.#deadlineMs = this.#deps.clock() + this.#timeoutMs;
    this.#enter("closing", reason);
    this.#log.i(EV.client.sendingBye);
    conn.send(formatMessage({ type: "BYE" }));
  }

  #finishClosing(reason: string): void {
    const conn = this.#conn;
    this.#conn = undefined;
    conn?.end();
    this.#dropConnection();
    this.#enter("idle", reason);
    this.#kick(reason);
  }
}
