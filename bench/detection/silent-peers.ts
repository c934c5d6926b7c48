// The raw node:net peers of the heartbeat-detection bench: they talk the protocol like the firmware does and can
// then lose power (stop sending and reading, keep the socket open: no FIN, no RST), the failure only a heartbeat
// can find.
import { connect, createServer, type Socket } from "node:net";
import type { Pair } from "./heartbeat.ts";

/** Split a socket's bytes into lines. */
export function lines(socket: Socket, onLine: (line: string) => void): void {
  let buffer = "";
  socket.setEncoding("latin1");
  socket.on("data", (chunk: string) => {
    buffer += chunk;
    for (let at = buffer.indexOf("\n"); at >= 0; at = buffer.indexOf("\n")) {
      onLine(buffer.slice(0, at).replace(/\r$/, ""));
      buffer = buffer.slice(at + 1);
    }
  });
}

/**
 * A raw client that behaves like the firmware's (HELLO, a PING every heartbeatMs, PONG to the server's PINGs) and
 * then loses power: it stops sending and reading, and keeps its socket open (no FIN).
 */
export class SilentClient {
  readonly socket: Socket;
  off = false;
  #ping: NodeJS.Timeout | undefined;
  #seq = 0;

  constructor(port: number, id: string, heartbeatMs: number, online: () => void) {
    this.socket = connect({ host: "127.0.0.1", port }, () => this.socket.write(`HELLO ${id}\n`));
    this.socket.setNoDelay(true);
    this.socket.on("error", () => {});
    lines(this.socket, (line) => {
      if (this.off) return;
      if (line.startsWith("WELCOME")) {
        online();
        this.#ping = setInterval(() => this.socket.write(`PING ${this.#seq++}\n`), heartbeatMs);
      } else if (line.startsWith("PING ")) this.socket.write(`PONG ${line.slice(5)}\n`);
    });
  }

  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  powerOff(): void {
    this.off = true;
    clearInterval(this.#ping);
    this.socket.pause();
  }

  destroy(): void {
    clearInterval(this.#ping);
    this.socket.destroy();
  }
}

/**
 * A raw server that talks like the firmware's (WELCOME with the pair's timings, PONG, ECHO) and can lose power per
 * connection: it stops answering and reading that connection and keeps it open.
 */
export class SilentServer {
  readonly server = createServer((socket) => this.#accept(socket));
  readonly byClient = new Map<string, { socket: Socket; off: boolean }>();
  readonly #sockets = new Set<Socket>();

  constructor(readonly pair: Pair) {}

  listen(): Promise<number> {
    return new Promise((resolve) => this.server.listen(0, "127.0.0.1", () => resolve((this.server.address() as { port: number }).port)));
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    socket.setNoDelay(true);
    socket.on("error", () => {});
    socket.on("close", () => this.#sockets.delete(socket));
    const state = { socket, off: false };
    lines(socket, (line) => {
      if (state.off) return;
      const [verb, a] = line.split(" ");
      if (verb === "HELLO") {
        this.byClient.set(a, state);
        socket.write(`WELCOME raw session=1 heartbeatMs=${this.pair.heartbeatMs} timeoutMs=${this.pair.timeoutMs}\n`);
      } else if (verb === "PING") socket.write(`PONG ${a}\n`);
      else if (verb === "ECHO") socket.write(line + "\n");
    });
  }

  powerOff(clientId: string): boolean {
    const state = this.byClient.get(clientId);
    if (!state) return false;
    state.off = true;
    state.socket.pause();
    return true;
  }

  close(): void {
    for (const s of this.#sockets) s.destroy();
    this.server.close();
  }
}
