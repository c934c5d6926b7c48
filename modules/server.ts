// The server role: a Listener on `port`, one Session per accepted connection. A connection must send a valid HELLO
// within handshakeMs; connections still handshaking have their own budget (the oldest is evicted when it is full, at
// most 4 from one address), online clients beyond maxClients get ERR busy, a wrong token ERR auth; one periodic
// check PINGs a session silent for heartbeatMs and closes one silent for timeoutMs. A bad line from one peer gets ERR
// and never touches another session, and too many of them close it; a peer that is not reading is closed when its
// send queue fills, so it cannot hold memory. docs/reliability.md ("Hostile input") says why each limit is what it is.

import { LineConnection } from "linklab/conn";
import { EV, type LogEvent } from "linklab/events";
import type { Frame } from "linklab/framing";
import { PeriodicCheck, verdict } from "linklab/heartbeat";
import { guard, RateLimiter, Sampler, type EventFields, type Level, type TagLog } from "linklab/log";
import type { Clock, ListenerClass, ListenerSocket, TcpClass, TcpSocket, TimerId, Timers } from "linklab/ports";
import { formatMessage, parseLine, type ErrCode, type Message } from "linklab/protocol";
import type { ServerSettings } from "linklab/settings";

/** The server's settings (linklab/settings SERVER_KEYS), its protocol id, and how often routine lines are logged. */
export type ServerOptions = ServerSettings & { id: string; logEvery: number };
export type ServerDeps = { Listener: ListenerClass; TCP: TcpClass; timers: Timers; clock: Clock; log: TagLog };
export type ServerState = "stopped" | "listening" | "closed";
export type SessionState = "handshaking" | "online" | "closing" | "closed";
export type SessionInfo = { session: number; state: SessionState; clientId: string | undefined; peer: string };

/** How long a closing session may take to flush its last lines before the socket is closed regardless. */
const CLOSE_FLUSH_MS = 1000;
/** After a listen fails (the port is taken), try again this much later. */
const LISTEN_RETRY_MS = 5000;
/** Bad lines (each answered with an ERR) that close a session; one is forgiven per BAD_LINE_FORGIVE_MS. */
const MAX_BAD_LINES = 16;
/** A leaky bucket, not "in a row": a good line between bad ones forgives nothing, time does. */
const BAD_LINE_FORGIVE_MS = 5000;
/** At most one EV.server.sendingErr (and one EV.server.peerErr) line per session in this time; the next one says suppressed=N. */
const ERR_LOG_MS = 5000;
/** Pending handshakes one address may hold (and at most half the pending budget), so one host cannot evict the rest. */
const MAX_PENDING_PER_PEER = 4;
/** Connections adopted per callback; the rest of a burst is read from a 0 ms timer, after what is already due. */
const ACCEPT_BATCH = 8;

export class Server {
  #state: ServerState = "stopped";
  /** Changed only by #enter. */
  get state(): ServerState {
    return this.#state;
  }
  readonly stats = { accepted: 0, handshakes: 0, refusedBusy: 0, evicted: 0, refusedAuth: 0, helloTimeouts: 0, silentClosed: 0, tooManyErrors: 0, replaced: 0, errSent: 0, echoes: 0, pings: 0, pushes: 0 };
  #options: ServerOptions;
  #deps: ServerDeps;
  #log: TagLog;
  #listener: ListenerSocket | undefined;
  #sessions = new Set<Session>();
  #nextSession = 1;
  #checkTimer: TimerId | undefined;
  #periodic = new PeriodicCheck();
  #push: TimerId | undefined;
  #retry: TimerId | undefined;
  /** The 0 ms timer that reads the rest of a burst of connections. */
  #drain: TimerId | undefined;
  /** Handshakes (accepted, no HELLO yet) held at once: as many as clients online, counted apart from them. */
  #pendingMax: number;
  #pendingPerPeer: number;
  #address = "0.0.0.0";
  #port = 0;
  #heartbeatSampler: Sampler;
  /** What every session shares with the server: made once, not per accepted connection. */
  #sessionContext: SessionContext;

  constructor(options: ServerOptions, deps: ServerDeps) {
    this.#options = options;
    this.#deps = deps;
    this.#log = deps.log;
    this.#heartbeatSampler = new Sampler(options.logEvery);
    this.#pendingMax = Math.max(1, options.maxClients);
    this.#pendingPerPeer = Math.max(1, Math.min(MAX_PENDING_PER_PEER, Math.floor(this.#pendingMax / 2)));
    this.#sessionContext = this.#context();
  }

  /**
   * The bound port, 0 when not listening. port=0 binds an ephemeral one: the tests and the in-process harness use
   * that; a board's settings refuse 0 (linklab/settings), because its clients and a person with nc need a known port.
   */
  get port(): number {
    return this.#port;
  }

  get local(): string {
    return this.#address + ":" + this.#port;
  }

  sessions(): SessionInfo[] {
    const out: SessionInfo[] = [];
    for (const s of this.#sessions) out.push({ session: s.number, state: s.state, clientId: s.clientId, peer: s.peer });
    return out;
  }

  onlineCount(): number {
    let n = 0;
    for (const s of this.#sessions) if (s.state === "online") n++;
    return n;
  }

  /** Listen (the link is up at `address`); idempotent while listening. */
  start(address: string): void {
    if (this.state !== "stopped") return;
    this.#address = address;
    const self = this;
    let listener: ListenerSocket;
    try {
      listener = new this.#deps.Listener({
        port: this.#options.port,
        onReadable: guard(this.#log, EV.server.callbackFailed, "listener onReadable", function (this: ListenerSocket) {
          self.#accept(this);
        }),
      });
    } catch (error) {
      this.#log.e(EV.server.cannotListen, { port: this.#options.port, error: String(error) });
      this.#retry ??= this.#deps.timers.set(() => {
        this.#retry = undefined;
        this.start(this.#address);
      }, LISTEN_RETRY_MS);
      return;
    }
    this.#listener = listener;
    this.#port = listener.port || this.#options.port;
    const everyMs = this.#periodic.start(this.#options.heartbeatMs, this.#options.timeoutMs, this.#deps.clock());
    this.#checkTimer ??= this.#deps.timers.set(() => this.#check(), everyMs, everyMs);
    if (this.#options.pushMs > 0) this.#push ??= this.#deps.timers.set(() => this.#pushAll(), this.#options.pushMs, this.#options.pushMs);
    this.#enter("listening", "start", { local: this.local, maxClients: this.#options.maxClients });
  }

  /** Stop listening and drop every session (the link went down, or close()). */
  stop(reason: string): void {
    this.#deps.timers.clear(this.#retry);
    this.#retry = undefined;
    this.#deps.timers.clear(this.#drain);
    this.#drain = undefined;
    this.#deps.timers.clear(this.#checkTimer);
    this.#checkTimer = undefined;
    this.#deps.timers.clear(this.#push);
    this.#push = undefined;
    for (const session of [...this.#sessions]) session.drop(reason);
    this.#sessions.clear();
    const listener = this.#listener;
    this.#listener = undefined;
    try {
      listener?.close();
    } catch {
      // already closed
    }
    this.#port = 0;
    if (this.state === "listening") this.#enter("stopped", reason);
  }

  close(): void {
    if (this.state === "closed") return;
    this.stop("close");
    this.#enter("closed", "close");
  }

  #enter(next: ServerState, reason: string, fields?: EventFields<(typeof EV.server.state.keys)[number]>): void {
    if (next === this.state) return;
    this.#log.state("I", EV.server.state, this.state, next, { reason, ...fields });
    this.#state = next;
  }

  /**
   * Read every pending connection. Moddable's listeners (lwIP on the ESP32, lin) call onReadable again only when a
   * new connection arrives, so what is not read now would wait forever: a full batch schedules the rest on a 0 ms
   * timer, which also lets the sessions already adopted (their HELLOs) and the online clients run in between.
   */
  #accept(listener: ListenerSocket): void {
    for (let i = 0; i < ACCEPT_BATCH; i++) {
      if (listener !== this.#listener) return;
      let socket: TcpSocket | undefined;
      try {
        socket = listener.read();
      } catch (error) {
        this.#log.w(EV.server.acceptFailed, { error: String(error) });
        return;
      }
      if (!socket) return;
      this.#adopt(socket);
    }
    this.#drain ??= this.#deps.timers.set(() => {
      this.#drain = undefined;
      if (this.#listener) this.#accept(this.#listener);
    }, 0);
  }

  #adopt(socket: TcpSocket): void {
    this.stats.accepted++;
    let session: Session;
    try {
      session = new Session(this.#nextSession++, socket, this.#sessionContext);
    } catch (error) {
      this.#log.w(EV.server.cannotAdopt, { error: String(error) });
      return;
    }
    let pending = 0;
    let online = 0;
    for (const s of this.#sessions) {
      if (s.state === "handshaking") pending++;
      else if (s.state === "online") online++;
    }
    this.#sessions.add(session);
    this.#log.i(EV.server.accepted, { session: session.number, proto: "tcp", local: this.local, peer: session.peer, sessions: pending + online + 1 });
    if (online >= this.#options.maxClients) {
      // No HELLO could be taken now: say so at once instead of holding a pending slot.
      this.stats.refusedBusy++;
      session.refuse("busy", "server has " + online + " clients online, max " + this.#options.maxClients, "busy", false);
      return;
    }
    this.#makeRoom(session);
  }

  /**
   * Pending handshakes (accepted, no HELLO yet) have their own budget, apart from maxClients, so silent connections
   * cannot keep clients out. When it is full the oldest pending one is evicted: the newcomer gets its chance, and an
   * honest client says HELLO within a round trip, long before it is the oldest. One address holds at most
   * #pendingPerPeer of them and evicts its own oldest first, so a flood from one host churns only its own.
   */
  #makeRoom(newcomer: Session): void {
    let pending = 0;
    let fromPeer = 0;
    let oldest: Session | undefined;
    let oldestFromPeer: Session | undefined;
    // A Set iterates in insertion (accept) order: the first found is the oldest.
    for (const s of this.#sessions) {
      if (s === newcomer || s.state !== "handshaking") continue;
      pending++;
      oldest ??= s;
      if (s.address === newcomer.address) {
        fromPeer++;
        oldestFromPeer ??= s;
      }
    }
    if (oldestFromPeer && fromPeer >= this.#pendingPerPeer) {
      this.stats.evicted++;
      oldestFromPeer.evict(fromPeer + " handshakes pending from " + newcomer.address + ", oldest evicted");
    } else if (oldest && pending >= this.#pendingMax) {
      this.stats.evicted++;
      oldest.evict("handshake slots full, oldest evicted");
    }
  }

  #context(): SessionContext {
    return {
      options: this.#options,
      TCP: this.#deps.TCP,
      clock: this.#deps.clock,
      log: this.#log,
      stats: this.stats,
      heartbeatSampler: this.#heartbeatSampler,
      removed: (s) => this.#sessions.delete(s),
      onlineOthers: (s) => {
        let n = 0;
        for (const other of this.#sessions) if (other !== s && other.state === "online" && other.clientId !== s.clientId) n++;
        return n;
      },
      online: (s) => {
        for (const other of this.#sessions) {
          if (other !== s && other.state === "online" && other.clientId === s.clientId) other.replaced(s);
        }
        return this.onlineCount();
      },
    };
  }

  #check(): void {
    const now = this.#deps.clock();
    const sinceMs = this.#periodic.late(now);
    if (sinceMs !== undefined) return this.#log.w(EV.server.checkLate, { sinceMs, everyMs: this.#periodic.everyMs });
    for (const session of [...this.#sessions]) session.check(now);
  }

  #pushAll(): void {
    const now = this.#deps.clock();
    for (const session of [...this.#sessions]) if (session.state === "online") session.push(now);
  }
}

type SessionContext = {
  options: ServerOptions;
  TCP: TcpClass;
  clock: Clock;
  log: TagLog;
  stats: Server["stats"];
  heartbeatSampler: Sampler;
  removed(session: Session): void;
  /** Sessions online for other client ids (a HELLO for an id already online replaces it, so it takes no new slot). */
  onlineOthers(session: Session): number;
  /** A session came online; the server closes older sessions of the same client and returns the online count. */
  online(session: Session): number;
};

/** One accepted connection: handshaking -> online -> closing -> closed, changed only by #enter. */
class Session {
  readonly number: number;
  readonly peer: string;
  /** The peer's IP address, without the port: what the pending-handshake limit per address counts. */
  readonly address: string;
  #state: SessionState = "handshaking";
  /** Changed only by #enter. */
  get state(): SessionState {
    return this.#state;
  }
  clientId: string | undefined;
  #ctx: SessionContext;
  #conn: LineConnection;
  #openedMs: number;
  #closingMs = 0;
  #pingSeq = 0;
  #pushSeq = 0;
  #badLines = 0;
  #badDrainMs = 0;
  #peerSaidBye = false;
  #errLog = new RateLimiter(ERR_LOG_MS);
  #peerErrLog = new RateLimiter(ERR_LOG_MS);

  constructor(number: number, socket: TcpSocket, ctx: SessionContext) {
    this.number = number;
    this.#ctx = ctx;
    this.#openedMs = ctx.clock();
    this.#conn = new LineConnection(
      ctx.TCP,
      { from: socket },
      // A peer that pipelines is slowed by flow control (LineConnection stops reading while replies are queued); it
      // is judged "not reading" only when its queue makes no progress for timeoutMs, as a silent link would be.
      { maxLine: ctx.options.maxLine, queueMax: ctx.options.maxLine * 8, clock: ctx.clock, nodelay: true, stallMs: ctx.options.timeoutMs },
      {
        frame: (frame) => this.#frame(frame),
        ended: () => this.#ended(),
        overflow: () => {
          this.#log("W", EV.server.notReading);
          this.#close("send-queue-full", false);
        },
        // A bug in this session's handlers: logged, and the session closed (its state can no longer be trusted).
        failed: (error, where) => {
          this.#log("E", EV.server.callbackFailed, { where, error: String(error) });
          this.#close("callback-failed", false);
        },
      },
    );
    this.address = this.#conn.remoteAddress;
    this.peer = this.address + ":" + this.#conn.remotePort;
  }

  /** A line of this session: the catalogue entry, with session, client and peer added. */
  #log<K extends string>(level: Level, event: LogEvent<K | "session" | "client" | "peer">, fields?: EventFields<K>): void {
    this.#ctx.log.at<K | "session" | "client" | "peer">(level, event, { session: this.number, client: this.clientId, peer: this.peer, ...fields });
  }

  #enter(next: SessionState, reason: string, fields?: EventFields<(typeof EV.server.sessionState.keys)[number]>): void {
    if (next === this.state) return;
    this.#ctx.log.state("I", EV.server.sessionState, this.state, next, { reason, ...fields, session: this.number, client: this.clientId, peer: this.peer });
    this.#state = next;
    if (next === "closed") this.#ctx.removed(this);
  }

  #send(message: Message): void {
    this.#conn.send(formatMessage(message));
  }

  /**
   * Send ERR and log it, at most one line per ERR_LOG_MS per session (the serial port, about 11 KB/s, is shared by
   * every session); the next printed line carries suppressed=N. The ERR that ends a session (`last`) is always printed.
   */
  #err(code: ErrCode, text: string, last = false): void {
    this.#ctx.stats.errSent++;
    const suppressed = this.#errLog.take(this.#ctx.clock(), last);
    if (suppressed >= 0) this.#log("W", EV.server.sendingErr, { code, text, suppressed: suppressed > 0 ? suppressed : undefined });
    this.#send({ type: "ERR", code, text });
  }

  /**
   * ERR and close (FIN after the ERR line). `linger` false: do not wait for an ERR line still queued (it is dropped),
   * so a connection turned away in a burst holds no memory; an ERR the socket took at once still goes out first.
   */
  refuse(code: ErrCode, text: string, reason: string = code, linger = true): void {
    this.#err(code, text, true);
    this.#close(reason, linger);
  }

  /** A newer connection needs this pending handshake's slot (the ERR line and `reason=evicted` tell the story). */
  evict(text: string): void {
    this.refuse("busy", text, "evicted", false);
  }

  /**
   * The same client id came online on a new connection: this one is stale (its peer rebooted or lost Wi-Fi), or
   * someone else took the id over (with a token set, only a holder of the token can). Either way it is told why.
   */
  replaced(by: Session): void {
    this.#ctx.stats.replaced++;
    this.#log("W", EV.server.replaced, { newSession: by.number, newPeer: by.peer });
    this.refuse("replaced", "client " + this.clientId + " came online again on session " + by.number);
  }

  /** Release the socket without a goodbye (link down or server stopping). */
  drop(reason: string): void {
    if (this.state === "closed") return;
    this.#conn.close();
    this.#enter("closed", reason);
  }

  #close(reason: string, graceful: boolean): void {
    if (this.state === "closed" || this.state === "closing") return;
    if (graceful && this.#conn.queuedBytes > 0) {
      this.#closingMs = this.#ctx.clock();
      this.#log("I", EV.server.closingAfterQueue, { reason });
      this.#enter("closing", reason);
      this.#conn.end();
      if (!this.#conn.open) this.#enter("closed", reason);
      return;
    }
    this.#log("I", EV.server.closing, { reason });
    this.#conn.end();
    this.#conn.close();
    this.#enter("closed", reason);
  }

  check(now: number): void {
    if (this.state === "handshaking") {
      if (now - this.#openedMs >= this.#ctx.options.handshakeMs) {
        this.#ctx.stats.helloTimeouts++;
        this.refuse("hello-timeout", "no HELLO within " + this.#ctx.options.handshakeMs + " ms");
      }
    } else if (this.state === "online") {
      if (this.#conn.checkStall()) return;
      const { heartbeatMs, timeoutMs } = this.#ctx.options;
      const v = verdict(now, this.#conn.lastRxMs, this.#conn.lastTxMs, heartbeatMs, timeoutMs);
      if (v === "dead") {
        this.#ctx.stats.silentClosed++;
        this.#log("W", EV.server.peerSilent, { silentMs: now - this.#conn.lastRxMs, timeoutMs });
        this.#close("silent", false);
      } else if (v === "ping-due") {
        this.#ctx.stats.pings++;
        this.#log(this.#ctx.heartbeatSampler.take() ? "I" : "D", EV.server.pingSent, { seq: this.#pingSeq, silentMs: now - this.#conn.lastRxMs });
        this.#send({ type: "PING", seq: this.#pingSeq++ });
      }
    } else if (this.state === "closing") {
      if (!this.#conn.open) this.#enter("closed", "flushed");
      else if (now - this.#closingMs >= CLOSE_FLUSH_MS) {
        this.#conn.close();
        this.#enter("closed", "flush-timeout");
      }
    }
  }

  push(now: number): void {
    this.#ctx.stats.pushes++;
    this.#send({ type: "PUSH", seq: this.#pushSeq++, text: "t=" + Math.floor(now) });
  }

  #ended(): void {
    if (this.state === "closed") return;
    if (this.#peerSaidBye || this.state === "closing") this.#log("I", EV.server.peerFin);
    else this.#log("I", EV.server.peerGone, { state: this.state });
    this.#enter("closed", "connection-ended");
  }

  /** Every ERR for the peer's bad input goes through here and counts: MAX_BAD_LINES close, one is forgiven per BAD_LINE_FORGIVE_MS. */
  #bad(code: ErrCode, text: string): void {
    this.#err(code, text);
    const now = this.#ctx.clock();
    const forgiven = Math.floor((now - this.#badDrainMs) / BAD_LINE_FORGIVE_MS);
    if (forgiven > 0) {
      this.#badLines = Math.max(0, this.#badLines - forgiven);
      this.#badDrainMs += forgiven * BAD_LINE_FORGIVE_MS;
    }
    if (this.#badLines === 0) this.#badDrainMs = now;
    if (++this.#badLines >= MAX_BAD_LINES && this.state !== "closing" && this.state !== "closed") {
      this.#ctx.stats.tooManyErrors++;
      this.refuse("too-many-errors", this.#badLines + " bad lines, one forgiven per " + BAD_LINE_FORGIVE_MS / 1000 + " s");
    }
  }

  #frame(frame: Frame): void {
    if (this.state === "closing" || this.state === "closed") return;
    if (frame.kind === "too-long") return this.#bad("too-long", "line longer than " + this.#ctx.options.maxLine + " bytes");
    if (frame.kind === "bad-bytes") return this.#bad("bad-bytes", "byte 0x" + frame.value.toString(16).padStart(2, "0") + " at " + frame.at + " is not printable ASCII");
    if (frame.text.length === 0) return;
    const parsed = parseLine(frame.text);
    if (!parsed.ok) return this.#bad(parsed.code, parsed.reason);
    const message = parsed.message;
    if (message.type === "BYE") {
      this.#peerSaidBye = true;
      this.#log("I", EV.server.peerBye, { reason: message.reason });
      this.#send({ type: "BYE" });
      this.#close("bye", true);
      return;
    }
    if (message.type === "ERR") {
      const suppressed = this.#peerErrLog.take(this.#ctx.clock());
      if (suppressed >= 0) this.#log("W", EV.server.peerErr, { code: message.code, text: message.text, suppressed: suppressed > 0 ? suppressed : undefined });
      return;
    }
    if (this.state === "handshaking") {
      if (message.type !== "HELLO") return this.#bad("not-ready", "send HELLO <clientId> first");
      const token = this.#ctx.options.token;
      if (token && message.token !== token) {
        this.#ctx.stats.refusedAuth++;
        this.clientId = message.clientId;
        this.refuse("auth", message.token === undefined ? "token required" : "wrong token");
        return;
      }
      this.clientId = message.clientId;
      const others = this.#ctx.onlineOthers(this);
      if (others >= this.#ctx.options.maxClients) {
        this.#ctx.stats.refusedBusy++;
        this.refuse("busy", "server has " + others + " clients online, max " + this.#ctx.options.maxClients);
        return;
      }
      this.#ctx.stats.handshakes++;
      const { id, heartbeatMs, timeoutMs } = this.#ctx.options;
      this.#send({ type: "WELCOME", serverId: id, session: this.number, heartbeatMs, timeoutMs });
      this.#enter("online", "hello", { handshakeMs: this.#ctx.clock() - this.#openedMs });
      const online = this.#ctx.online(this);
      this.#log("I", EV.server.handshakeDone, { online });
      return;
    }
    switch (message.type) {
      case "PING":
        this.#send({ type: "PONG", seq: message.seq });
        return;
      case "PONG":
        this.#log(this.#ctx.heartbeatSampler.take() ? "I" : "D", EV.server.pongReceived, { seq: message.seq });
        return;
      case "ECHO":
        this.#ctx.stats.echoes++;
        this.#send(message);
        return;
      case "HELLO":
        return this.#bad("bad-hello", "already online");
      default:
        return this.#bad("unexpected", message.type + " is not sent to a server");
    }
  }
}
