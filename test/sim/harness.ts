// Shared pieces of the firmware simulator tests: the real host runtime (TCP, Listener, UDP on loopback), Node
// timers in the firmware's Timers shape, one captured log per test whose lines are events a test can wait for
// (bounded deadlines, no sleeps), and a raw node:net peer that talks the protocol line by line like `nc`.
import { connect, type Socket } from "node:net";
import { Log, type Level } from "linklab/log";
import type { Timers, TimerId } from "linklab/ports";
import { Server, type ServerOptions } from "linklab/server";
import { Client, type ClientOptions } from "linklab/client";
import TCP from "../../host-sim/runtime/tcp.ts";
import Listener from "../../host-sim/runtime/listener.ts";
import { setAbort } from "../../host-sim/runtime/machine.ts";
import { board } from "../../host-sim/runtime/board.ts";
import type { ListenerClass, TcpClass } from "linklab/ports";

export const RuntimeTCP = TCP as unknown as TcpClass;
export const RuntimeListener = Listener as unknown as ListenerClass;

/** Timer.set semantics on Node: first call after delayMs, then every repeatMs. */
export function nodeTimers(): Timers & { clearAll(): void } {
  const live = new Set<{ timeout?: NodeJS.Timeout; interval?: NodeJS.Timeout }>();
  return {
    set(callback, delayMs, repeatMs) {
      const handle: { timeout?: NodeJS.Timeout; interval?: NodeJS.Timeout } = {};
      live.add(handle);
      handle.timeout = setTimeout(() => {
        handle.timeout = undefined;
        if (repeatMs) handle.interval = setInterval(callback, repeatMs);
        else live.delete(handle);
        callback();
      }, delayMs);
      return handle;
    },
    clear(id: TimerId | undefined) {
      const handle = id as { timeout?: NodeJS.Timeout; interval?: NodeJS.Timeout } | undefined;
      if (!handle) return;
      clearTimeout(handle.timeout);
      clearInterval(handle.interval);
      live.delete(handle);
    },
    clearAll() {
      for (const h of live) {
        clearTimeout(h.timeout);
        clearInterval(h.interval);
      }
      live.clear();
    },
  };
}

type Waiter = { pattern: RegExp; from: number; resolve: (line: string) => void };

/** The serial log of everything in one test, with a way to wait for a line. */
export class Lab {
  readonly start = performance.now();
  readonly clock = (): number => Math.floor(performance.now() - this.start);
  readonly lines: string[] = [];
  readonly log: Log;
  readonly timers = nodeTimers();
  readonly aborts: unknown[] = [];
  #waiters = new Set<Waiter>();
  #closers: (() => void)[] = [];

  constructor(level: Level = "D") {
    this.log = new Log({ clock: this.clock, sink: (line) => this.#line(line), level });
    setAbort((error) => {
      this.aborts.push(error);
      throw error;
    });
  }

  #line(line: string): void {
    this.lines.push(line);
    if (process.env.LINKLAB_TEST_LOG) process.stdout.write(line + "\n");
    for (const w of [...this.#waiters]) {
      if (w.pattern.test(line)) {
        this.#waiters.delete(w);
        w.resolve(line);
      }
    }
  }

  count(pattern: RegExp): number {
    return this.lines.filter((l) => pattern.test(l)).length;
  }

  /** The first line matching `pattern` logged from index `from` on (default: from now), within timeoutMs. */
  waitFor(pattern: RegExp, timeoutMs: number, from = this.lines.length): Promise<string> {
    for (let i = from; i < this.lines.length; i++) if (pattern.test(this.lines[i])) return Promise.resolve(this.lines[i]);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { pattern, from, resolve: (line) => { clearTimeout(timer); resolve(line); } };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`no log line matching ${pattern} within ${timeoutMs} ms; last lines:\n${this.lines.slice(-15).join("\n")}`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  server(options: Partial<ServerOptions> = {}, tag = "tcp.server"): Server {
    const server = new Server(
      { id: "s1", port: 0, token: "", maxClients: 8, maxLine: 256, handshakeMs: 500, heartbeatMs: 100, timeoutMs: 300, pushMs: 0, logEvery: 1, ...options },
      { Listener: RuntimeListener, TCP: RuntimeTCP, timers: this.timers, clock: this.clock, log: this.log.tag(tag) },
    );
    this.#closers.push(() => server.close());
    return server;
  }

  client(options: Partial<ClientOptions> & { port: number }, tag = "tcp.client"): Client {
    const client = new Client(
      {
        id: "c1",
        server: "127.0.0.1",
        token: "",
        maxLine: 256,
        handshakeMs: 500,
        heartbeatMs: 100,
        timeoutMs: 300,
        echoMs: 0,
        outboxMax: 16,
        mode: "persistent",
        backoffBaseMs: 50,
        backoffMaxMs: 200,
        connectTimeoutMs: 500,
        tcpKeepaliveS: 0,
        logEvery: 1,
        ...options,
      },
      { TCP: RuntimeTCP, timers: this.timers, clock: this.clock, log: this.log.tag(tag), random: Math.random },
    );
    this.#closers.push(() => client.close());
    return client;
  }

  raw(port: number): Promise<RawPeer> {
    return RawPeer.connect(port).then((peer) => {
      this.#closers.push(() => peer.socket.destroy());
      return peer;
    });
  }

  onClose(close: () => void): void {
    this.#closers.push(close);
  }

  close(): void {
    for (const close of this.#closers.reverse()) {
      try {
        close();
      } catch {
        // best effort
      }
    }
    this.#closers = [];
    this.timers.clearAll();
    board.closeAll();
    setAbort(undefined);
  }
}

/** A plain node:net client typing protocol lines, as a person does with nc. */
export class RawPeer {
  readonly socket: Socket;
  readonly lines: string[] = [];
  ended = false;
  #buffer = "";
  #waiters = new Set<() => void>();

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      this.#buffer += chunk;
      for (let at = this.#buffer.indexOf("\n"); at >= 0; at = this.#buffer.indexOf("\n")) {
        this.lines.push(this.#buffer.slice(0, at).replace(/\r$/, ""));
        this.#buffer = this.#buffer.slice(at + 1);
      }
      this.#wake();
    });
    socket.on("end", () => {
      this.ended = true;
      this.#wake();
    });
    socket.on("close", () => {
      this.ended = true;
      this.#wake();
    });
    socket.on("error", () => {
      this.ended = true;
      this.#wake();
    });
  }

  static connect(port: number): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port }, () => resolve(new RawPeer(socket)));
      socket.once("error", reject);
    });
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }

  #until<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const now = check();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const waiter = () => {
        const value = check();
        if (value === undefined) return;
        this.#waiters.delete(waiter);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`${what} not seen within ${timeoutMs} ms; got lines ${JSON.stringify(this.lines)} ended=${this.ended}`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  send(text: string | Uint8Array): void {
    this.socket.write(typeof text === "string" ? Buffer.from(text, "latin1") : text);
  }

  /** The line at index `index` (0-based over the whole conversation). */
  line(index: number, timeoutMs = 2000): Promise<string> {
    return this.#until(() => this.lines[index], timeoutMs, `line ${index}`);
  }

  /** Send a line and return the next line the server says. */
  async say(line: string, timeoutMs = 2000): Promise<string> {
    const index = this.lines.length;
    this.send(line + "\n");
    return this.line(index, timeoutMs);
  }

  waitEnded(timeoutMs = 2000): Promise<true> {
    return this.#until(() => (this.ended ? true : undefined), timeoutMs, "end of connection");
  }
}
