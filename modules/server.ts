// The server role: a Listener on `port`, one Session per accepted connection. A connection must send a valid HELLO
// within handshakeMs, sessions beyond maxClients get ERR busy, a wrong token ERR auth; one periodic check PINGs a
// session silent for heartbeatMs and closes one silent for timeoutMs. A bad line from one peer gets ERR and never
// touches another session; a peer that is not reading is closed when its send queue fills, so it cannot hold memory.

import { LineConnection } from "linklab/conn";
import type { Frame } from "linklab/framing";
import { checkIntervalMs, ranLate, verdict } from "linklab/heartbeat";
import { Sampler, type Fields, type TagLog } from "linklab/log";
import type { Clock, ListenerClass, ListenerSocket, TcpClass, TcpSocket, TimerId, Timers } from "linklab/ports";
import { formatMessage, parseLine, type ErrCode, type Message } from "linklab/protocol";

export type ServerOptions = {
  id: string;
  port: number;
  token: string;
  maxClients: number;
  maxLine: number;
  handshakeMs: number;
  heartbeatMs: number;
  timeoutMs: number;
  pushMs: number;
  logEvery: number;
};
export type ServerDeps = { Listener: ListenerClass; TCP: TcpClass; timers: Timers; clock: Clock; log: TagLog };
export type ServerState = "stopped" | "listening" | "closed";
export type SessionState = "handshaking" | "online" | "closing" | "closed";
export type SessionInfo = { session: number; state: SessionState; clientId: string | undefined; peer: string };

/** How long a closing session may take to flush its last lines before the socket is closed regardless. */
const CLOSE_FLUSH_MS = 1000;
/** Bad lines in a row before the server gives up on a peer. */
const MAX_BAD_LINES = 16;

export class Server {
  state: ServerState = "stopped";
  readonly stats = { accepted: 0, handshakes: 0, refusedBusy: 0, refusedAuth: 0, helloTimeouts: 0, silentClosed: 0, errSent: 0, echoes: 0, pings: 0, pushes: 0 };
  #options: ServerOptions;
  #deps: ServerDeps;
  #log: TagLog;
  #listener: ListenerSocket | undefined;
  #sessions = new Set<Session>();
  #nextSession = 1;
  #check: TimerId | undefined;
  #checkEveryMs = 0;
  #lastCheckMs = 0;
  #push: TimerId | undefined;
  #retry: TimerId | undefined;
  #address = "0.0.0.0";
  #port = 0;
  #heartbeatSampler: Sampler;

  constructor(options: ServerOptions, deps: ServerDeps) {
    this.#options = options;
    this.#deps = deps;
    this.#log = deps.log;
    this.#heartbeatSampler = new Sampler(options.logEvery);
  }

  /** The bound port (the configured one, or the ephemeral one when port=0), 0 when not listening. */
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
        onReadable(this: ListenerSocket, requests: number) {
          self.#accept(this, requests);
        },
      });
    } catch (error) {
      this.#log.e("cannot listen, retrying in 5 s", { port: this.#options.port, error: String(error) });
      this.#retry ??= this.#deps.timers.set(() => {
        this.#retry = undefined;
        this.start(this.#address);
      }, 5000);
      return;
    }
    this.#listener = listener;
    this.#port = listener.port || this.#options.port;
    const everyMs = checkIntervalMs(this.#options.heartbeatMs, this.#options.timeoutMs);
    this.#checkEveryMs = everyMs;
    this.#lastCheckMs = this.#deps.clock();
    this.#check ??= this.#deps.timers.set(() => this.#tick(), everyMs, everyMs);
    if (this.#options.pushMs > 0) this.#push ??= this.#deps.timers.set(() => this.#pushAll(), this.#options.pushMs, this.#options.pushMs);
    this.#enter("listening", "start", { local: this.local, maxClients: this.#options.maxClients });
  }

  /** Stop listening and drop every session (the link went down, or close()). */
  stop(reason: string): void {
    this.#deps.timers.clear(this.#retry);
    this.#retry = undefined;
    this.#deps.timers.clear(this.#check);
    this.#check = undefined;
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

  #enter(next: ServerState, reason: string, fields?: Fields): void {
    if (next === this.state) return;
    this.#log.i("state " + this.state + "->" + next, { reason, ...fields });
    this.state = next;
  }

  #accept(listener: ListenerSocket, requests: number): void {
    for (let i = 0; i < Math.max(1, Math.min(requests, 64)) && listener === this.#listener; i++) {
      let socket: TcpSocket | undefined;
      try {
        socket = listener.read();
      } catch (error) {
        this.#log.w("accept failed", { error: String(error) });
        break;
      }
      if (!socket) break;
      this.stats.accepted++;
      let active = 0;
      for (const s of this.#sessions) if (s.state === "handshaking" || s.state === "online") active++;
      let session: Session;
      try {
        session = new Session(this.#nextSession++, socket, this.#context());
      } catch (error) {
        this.#log.w("cannot adopt accepted socket", { error: String(error) });
        continue;
      }
      this.#sessions.add(session);
      this.#log.i("connection accepted (SYN, SYN/ACK, ACK done)", { session: session.number, proto: "tcp", local: this.local, peer: session.peer, sessions: active + 1 });
      if (active >= this.#options.maxClients) {
        this.stats.refusedBusy++;
        session.refuse("busy", "server has " + active + " sessions, max " + this.#options.maxClients);
      }
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
      local: this.local,
      removed: (s) => this.#sessions.delete(s),
      online: (s) => {
        for (const other of this.#sessions) {
          if (other !== s && other.state === "online" && other.clientId === s.clientId) other.replaced(s);
        }
        return this.onlineCount();
      },
    };
  }

  #tick(): void {
    const now = this.#deps.clock();
    const late = ranLate(now, this.#lastCheckMs, this.#checkEveryMs);
    const sinceMs = now - this.#lastCheckMs;
    this.#lastCheckMs = now;
    if (late) return this.#log.w("check ran late (board busy), verdicts wait a round", { sinceMs, everyMs: this.#checkEveryMs });
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
  local: string;
  removed(session: Session): void;
  /** A session came online; the server closes older sessions of the same client and returns the online count. */
  online(session: Session): number;
};

/** One accepted connection: handshaking -> online -> closing -> closed, changed only by #enter. */
class Session {
  readonly number: number;
  readonly peer: string;
  state: SessionState = "handshaking";
  clientId: string | undefined;
  #ctx: SessionContext;
  #conn: LineConnection;
  #openedMs: number;
  #closingMs = 0;
  #pingSeq = 0;
  #pushSeq = 0;
  #badLines = 0;
  #peerSaidBye = false;

  constructor(number: number, socket: TcpSocket, ctx: SessionContext) {
    this.number = number;
    this.#ctx = ctx;
    this.#openedMs = ctx.clock();
    this.#conn = new LineConnection(
      ctx.TCP,
      { from: socket },
      { maxLine: ctx.options.maxLine, queueMax: ctx.options.maxLine * 8, clock: ctx.clock, nodelay: true },
      {
        frame: (frame) => this.#frame(frame),
        ended: () => this.#ended(),
        overflow: () => {
          this.#log("W", "send queue full, peer not reading; closing");
          this.#close("send-queue-full", false);
        },
      },
    );
    this.peer = this.#conn.remoteAddress + ":" + this.#conn.remotePort;
  }

  #log(level: "E" | "W" | "I" | "D", message: string, fields?: Fields): void {
    this.#ctx.log.at(level, message, { session: this.number, client: this.clientId, peer: this.peer, ...fields });
  }

  #enter(next: SessionState, reason: string, fields?: Fields): void {
    if (next === this.state) return;
    this.#ctx.log.i("session state " + this.state + "->" + next, { reason, ...fields, session: this.number, client: this.clientId, peer: this.peer });
    this.state = next;
    if (next === "closed") this.#ctx.removed(this);
  }

  #send(message: Message): void {
    this.#conn.send(formatMessage(message));
  }

  #err(code: ErrCode, text: string): void {
    this.#ctx.stats.errSent++;
    this.#log("W", "sending ERR", { code, text });
    this.#send({ type: "ERR", code, text });
  }

  /** ERR and close (FIN after the ERR line). */
  refuse(code: ErrCode, text: string): void {
    this.#err(code, text);
    this.#close(code, true);
  }

  /** The same client came online on a new connection: this one is stale (its peer rebooted or lost Wi-Fi). */
  replaced(by: Session): void {
    this.#log("W", "client reconnected, closing its old session", { newSession: by.number });
    this.#close("replaced", true);
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
      this.#log("I", "closing after queued lines (FIN sent when flushed)", { reason });
      this.#enter("closing", reason);
      this.#conn.end();
      if (!this.#conn.open) this.#enter("closed", reason);
      return;
    }
    this.#log("I", "closing (FIN sent)", { reason });
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
      const { heartbeatMs, timeoutMs } = this.#ctx.options;
      const v = verdict(now, this.#conn.lastRxMs, this.#conn.lastTxMs, heartbeatMs, timeoutMs);
      if (v === "dead") {
        this.#ctx.stats.silentClosed++;
        this.#log("W", "peer silent, closing", { silentMs: now - this.#conn.lastRxMs, timeoutMs });
        this.#close("silent", false);
      } else if (v === "ping-due") {
        this.#ctx.stats.pings++;
        this.#log(this.#ctx.heartbeatSampler.take() ? "I" : "D", "heartbeat: peer quiet, sending PING", { seq: this.#pingSeq, silentMs: now - this.#conn.lastRxMs });
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
    if (this.#peerSaidBye || this.state === "closing") this.#log("I", "peer closed (FIN received)");
    else this.#log("I", "peer closed the connection (FIN or RST received)", { state: this.state });
    this.#enter("closed", "peer-closed");
  }

  #bad(code: ErrCode, text: string): void {
    this.#err(code, text);
    if (++this.#badLines >= MAX_BAD_LINES && this.state !== "closing") this.refuse("too-many-errors", this.#badLines + " bad lines in a row");
  }

  #frame(frame: Frame): void {
    if (this.state === "closing" || this.state === "closed") return;
    if (frame.kind === "too-long") return this.#bad("too-long", "line longer than " + this.#ctx.options.maxLine + " bytes");
    if (frame.kind === "bad-bytes") return this.#bad("bad-bytes", "byte 0x" + frame.value.toString(16).padStart(2, "0") + " at " + frame.at + " is not printable ASCII");
    if (frame.text.length === 0) return;
    const parsed = parseLine(frame.text);
    if (!parsed.ok) return this.#bad(parsed.code, parsed.reason);
    this.#badLines = 0;
    const message = parsed.message;
    if (message.type === "BYE") {
      this.#peerSaidBye = true;
      this.#log("I", "peer said BYE, answering BYE and closing", { reason: message.reason });
      this.#send({ type: "BYE" });
      this.#close("bye", true);
      return;
    }
    if (message.type === "ERR") {
      this.#log("W", "peer sent ERR", { code: message.code, text: message.text });
      return;
    }
    if (this.state === "handshaking") {
      if (message.type !== "HELLO") return this.#err("not-ready", "send HELLO <clientId> first");
      const token = this.#ctx.options.token;
      if (token && message.token !== token) {
        this.#ctx.stats.refusedAuth++;
        this.clientId = message.clientId;
        this.refuse("auth", message.token === undefined ? "token required" : "wrong token");
        return;
      }
      this.clientId = message.clientId;
      this.#ctx.stats.handshakes++;
      const { id, heartbeatMs, timeoutMs } = this.#ctx.options;
      this.#send({ type: "WELCOME", serverId: id, session: this.number, heartbeatMs, timeoutMs });
      this.#enter("online", "hello", { handshakeMs: this.#ctx.clock() - this.#openedMs });
      const online = this.#ctx.online(this);
      this.#log("I", "handshake done, client online", { online });
      return;
    }
    switch (message.type) {
      case "PING":
        this.#send({ type: "PONG", seq: message.seq });
        return;
      case "PONG":
        this.#log(this.#ctx.heartbeatSampler.take() ? "I" : "D", "heartbeat: PONG received", { seq: message.seq });
        return;
      case "ECHO":
        this.#ctx.stats.echoes++;
        this.#send(message);
        return;
      case "HELLO":
        return this.#err("bad-hello", "already online");
      default:
        return this.#err("unexpected", message.type + " is not sent to a server");
    }
  }
}
