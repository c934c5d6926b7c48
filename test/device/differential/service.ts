// The outside peer of the differential suite: node:net and node:dgram sockets on 127.0.0.1 that a case app drives
// over one control connection, one JSON line per command (["verb", ...args]) and one JSON line per reply. It is
// the same peer for both runtimes, so what the peer sees on the wire is compared too. Every wait is bounded
// (WAIT_MS) and answers "timeout" rather than hanging; a bad command gets {"error": ...}, never a crash.
import { execFileSync } from "node:child_process";
import { createSocket, type Socket as DgramSocket } from "node:dgram";
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { freeTcpPort } from "../../support/ports.ts";

const WAIT_MS = 3000;
const HOST = "127.0.0.1";

/** What the peer saw on one TCP connection. */
class Conn {
  data = "";
  ended = false;
  reset = false;
  closed = false;
  constructor(readonly socket: Socket, readonly wake: () => void) {
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => ((this.data += chunk), wake()));
    socket.on("end", () => ((this.ended = true), wake()));
    socket.on("error", (error: NodeJS.ErrnoException) => ((this.reset ||= error.code === "ECONNRESET" || error.code === "EPIPE"), wake()));
    socket.on("close", () => ((this.closed = true), wake()));
  }
  /** How the connection ended, as the peer saw it: "open", "FIN" or "RST". */
  get end(): string {
    return this.reset ? "RST" : this.ended ? "FIN" : "open";
  }
}

/** One case's peers; everything is closed when the control connection goes. */
class Session {
  constructor(readonly service: { next: string }) {}
  #servers: Server[] = [];
  #udp: DgramSocket | undefined;
  #conns: Conn[] = [];
  #datagrams: { text: string; address: string; port: number }[] = [];
  #waiters = new Set<() => void>();

  wake = (): void => {
    for (const waiter of [...this.#waiters]) waiter();
  };

  /** Resolves with f()'s value once it is not undefined, or "timeout" after WAIT_MS. */
  until<T>(f: () => T | undefined): Promise<T | "timeout"> {
    return new Promise((resolve) => {
      const check = (): void => {
        const value = f();
        if (value === undefined) return;
        this.#waiters.delete(check);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        resolve("timeout");
      }, WAIT_MS);
      this.#waiters.add(check);
      check();
    });
  }

  get conn(): Conn {
    const conn = this.#conns.at(-1);
    if (!conn) throw new Error("no connection yet");
    return conn;
  }

  adopt(socket: Socket): Conn {
    const conn = new Conn(socket, this.wake);
    this.#conns.push(conn);
    this.wake();
    return conn;
  }

  async run(verb: string, args: unknown[]): Promise<unknown> {
    /** The text argument at `index`: the cases send strings (a JSON value of another kind is a broken case). */
    const text = (index: number): string => {
      const value = args[index];
      if (typeof value !== "string") throw new Error(`${verb}: argument ${index} is not a string: ${JSON.stringify(value)}`);
      return value;
    };
    switch (verb) {
      case "case":
        return this.service.next;
      case "tcp-server": {
        // A peer server the board connects to; allowHalfOpen, so the board's FIN and the peer's are separate.
        const server = createServer({ allowHalfOpen: true }, (socket) => this.adopt(socket));
        this.#servers.push(server);
        await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
        return (server.address() as AddressInfo).port;
      }
      case "closed-port":
        return freeTcpPort(HOST);
      case "accepted": {
        const count = Number(args[0] ?? 1);
        return this.until(() => (this.#conns.length >= count ? this.#conns.length : undefined));
      }
      case "connect": {
        // A client of the board's listener. Resolves with the client's local port, or "refused".
        const socket = connect({ host: HOST, port: Number(args[0]), allowHalfOpen: true });
        return new Promise((resolve) => {
          socket.once("connect", () => resolve(this.adopt(socket).socket.localPort));
          socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED" ? "refused" : error.code));
        });
      }
      case "local-port":
        return this.conn.socket.localPort;
      case "send": {
        const conn = this.conn;
        await new Promise<void>((resolve) => conn.socket.write(text(0), "latin1", () => resolve()));
        return "ok";
      }
      case "end": {
        const conn = this.conn;
        await new Promise<void>((resolve) => (args[0] === undefined ? conn.socket.end(() => resolve()) : conn.socket.end(text(0), () => resolve())));
        return "ok";
      }
      case "reset":
        this.conn.socket.resetAndDestroy();
        return "ok";
      case "data": {
        // Waits for at least n bytes from the board; answers what arrived.
        const conn = this.conn;
        const bytes = Number(args[0] ?? 1);
        return this.until(() => (conn.data.length >= bytes ? conn.data : undefined));
      }
      case "ended": {
        // Waits for the board's FIN or RST; answers how it ended and the bytes before it.
        const conn = this.conn;
        const ended = await this.until(() => (conn.ended || conn.reset ? conn.end : undefined));
        return { end: ended, data: conn.data };
      }
      case "closed": {
        const conn = this.conn;
        return this.until(() => (conn.closed ? conn.end : undefined));
      }
      case "keepalive": {
        // Whether the board's side of the current connection has a kernel keep-alive timer (ss, as root or not).
        const port = this.conn.socket.localPort;
        const out = execFileSync("ss", ["-tnoH", "state", "established", `( dport = :${port} )`], { encoding: "utf8" });
        return /timer:\(keepalive/.test(out) ? "keepalive timer" : "no keepalive timer";
      }
      case "udp-peer": {
        const socket = createSocket("udp4");
        this.#udp = socket;
        socket.on("message", (data, from) => {
          this.#datagrams.push({ text: data.toString("latin1"), address: from.address, port: from.port });
          this.wake();
        });
        await new Promise<void>((resolve) => socket.bind(0, HOST, resolve));
        return socket.address().port;
      }
      case "udp-send": {
        const socket = this.#udp;
        if (!socket) throw new Error("no udp-peer");
        await new Promise<void>((resolve, reject) => socket.send(text(1), Number(args[0]), HOST, (error) => (error ? reject(error) : resolve())));
        return "ok";
      }
      case "datagrams": {
        const count = Number(args[0] ?? 1);
        return this.until(() => (this.#datagrams.length >= count ? this.#datagrams.slice(0, count) : undefined));
      }
      default:
        throw new Error("unknown command " + verb);
    }
  }

  close(): void {
    for (const server of this.#servers) server.close();
    for (const conn of this.#conns) conn.socket.destroy();
    this.#udp?.close();
    this.#waiters.clear();
  }
}

export type PeerService = {
  port: number;
  /** The case the next app to connect is told to run. */
  next: string;
  close(): Promise<void>;
};

/** The peer service: one Session per control connection (per machine). */
export async function startPeerService(): Promise<PeerService> {
  const sessions = new Set<Session>();
  const controls = new Set<Socket>();
  const server = createServer((control) => {
    const session = new Session(service);
    sessions.add(session);
    controls.add(control);
    let text = "";
    let chain = Promise.resolve();
    control.setEncoding("utf8");
    control.on("error", () => {});
    control.on("close", () => {
      controls.delete(control);
      session.close();
      sessions.delete(session);
    });
    control.on("data", (chunk: string) => {
      text += chunk;
      let at;
      while ((at = text.indexOf("\n")) >= 0) {
        const line = text.slice(0, at);
        text = text.slice(at + 1);
        // One command at a time, in order: the app waits for each reply anyway.
        chain = chain.then(async () => {
          let reply: unknown;
          try {
            const [verb, ...args] = JSON.parse(line) as [string, ...unknown[]];
            reply = await session.run(verb, args);
          } catch (error) {
            reply = { error: (error as Error).message };
          }
          if (!control.destroyed) control.write(JSON.stringify(reply) + "\n");
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const service: PeerService = {
    port: (server.address() as AddressInfo).port,
    next: "",
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.close();
        for (const control of controls) control.destroy();
        server.close(() => resolve());
      }),
  };
  return service;
}
