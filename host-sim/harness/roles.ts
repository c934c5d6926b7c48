// The firmware roles in one Node process, on the host runtime (TCP, Listener, UDP on loopback; the runtime's own
// Timer), for the tests and the benches: one captured serial log whose lines are events a caller can wait for
// (bounded deadlines, no sleeps). Nothing here is test-only: test/sim/harness.ts adds the nc-like raw peer.
//
// The roles' periodic work (heartbeats, handshake and connect deadlines, backoff) runs on host-sim/runtime/timer.ts
// exactly as main.ts hands Moddable's Timer to them on the board: repeats do not drift (next = previous + interval),
// a callback's exception goes through the machine's abort (recorded in `aborts`), and every timer is registered
// with the board so close() releases it with the sockets. Node's own timers are used only for the harness's
// deadlines (waitFor), never for firmware work.
import { Log, type Level } from "linklab/log";
import type { ListenerClass, TcpClass, Timers } from "linklab/ports";
import { timersFrom } from "linklab/adapters";
import { Server, type ServerOptions } from "linklab/server";
import { Client, type ClientOptions } from "linklab/client";
import TCP from "../runtime/tcp.ts";
import Listener from "../runtime/listener.ts";
import Timer from "../runtime/timer.ts";
import { setAbort } from "../runtime/machine.ts";
import { board } from "../runtime/board.ts";

export const RuntimeTCP = TCP as unknown as TcpClass;
export const RuntimeListener = Listener as unknown as ListenerClass;

/**
 * The runtime's Timer in the roles' Timers shape through the firmware's own adapter (linklab/adapters, as main.ts
 * builds it for the board), without main.ts's guard: here an exception must reach the caller.
 */
export function runtimeTimers(): Timers {
  return timersFrom(Timer);
}

type Waiter = { pattern: RegExp; from: number; resolve: (line: string) => void };

/** The serial log of everything in one test or bench trial, with a way to wait for a line, and the roles on it. */
export class RoleHarness {
  readonly start = performance.now();
  readonly clock = (): number => Math.floor(performance.now() - this.start);
  readonly lines: string[] = [];
  readonly log: Log;
  readonly timers = runtimeTimers();
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

  /** Run `close` when the harness closes (before the board's sockets and timers are released). */
  onClose(close: () => void): void {
    this.#closers.push(close);
  }

  /** Close what was made here (last first), then release every runtime socket and timer of the board. */
  close(): void {
    for (const close of this.#closers.reverse()) {
      try {
        close();
      } catch {
        // best effort
      }
    }
    this.#closers = [];
    board.closeAll();
    setAbort(undefined);
  }
}
