// A raw loopback TCP peer (node:net) for hostile-input tests: writes whatever bytes a test gives it, keeps every
// byte it receives, and tells how the other side ended the connection (FIN, RST) with bounded waits. (test/sim's
// RawPeer types lines like nc; this one is for bytes, pauses, and telling FIN from RST.)
import { connect, type Socket } from "node:net";

/** Resolve when `condition()` holds, checked every few ms; reject after deadlineMs naming `what`. */
export function until(condition: () => boolean, what: string, deadlineMs = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    const startMs = performance.now();
    const poll = (): void => {
      if (condition()) resolve();
      else if (performance.now() - startMs >= deadlineMs) reject(new Error("timed out after " + deadlineMs + " ms waiting for " + what));
      else setTimeout(poll, 5);
    };
    poll();
  });
}

export type Ending = "fin" | "reset" | "closed";

export class RawPeer {
  readonly socket: Socket;
  readonly received: Buffer[] = [];
  /** How the server ended the connection, once it did. */
  ending: Ending | undefined;
  #waiters = new Set<() => void>();

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (data: Buffer) => {
      this.received.push(data);
      this.#wake();
    });
    socket.on("end", () => {
      this.ending ??= "fin";
      this.#wake();
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      this.ending ??= error.code === "ECONNRESET" || error.code === "EPIPE" ? "reset" : "closed";
      this.#wake();
    });
    socket.on("close", () => {
      this.ending ??= "closed";
      this.#wake();
    });
  }

  /**
   * Connect to 127.0.0.1:port; resolves once the three-way handshake is done. `from` is the local address to connect
   * from (any of 127.0.0.0/8 on Linux), so a test can have peers on different addresses, as boards on a network are.
   */
  static connect(port: number, options: { readable?: boolean; from?: string } = {}): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port, allowHalfOpen: false, ...(options.from ? { localAddress: options.from } : {}) });
      const peer = new RawPeer(socket);
      if (options.readable === false) socket.pause();
      socket.once("connect", () => resolve(peer));
      socket.once("error", reject);
    });
  }

  get text(): string {
    return Buffer.concat(this.received).toString("latin1");
  }

  /** Complete lines received so far (without their LF). */
  get lines(): string[] {
    const text = this.text;
    const end = text.lastIndexOf("\n");
    return end < 0 ? [] : text.slice(0, end).split("\n");
  }

  /** Lines received except the server's heartbeat probes (`PING n`), which may come whenever this peer is quiet. */
  get replies(): string[] {
    return this.lines.filter((l) => !/^PING \d+$/.test(l));
  }

  write(data: string | Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed) return reject(new Error("peer socket already closed"));
      this.socket.write(typeof data === "string" ? Buffer.from(data, "latin1") : data, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Resolve when condition() holds (checked on every event), reject after deadlineMs. */
  wait(condition: () => boolean, what: string, deadlineMs = 3000): Promise<void> {
    return new Promise((resolve, reject) => {
      if (condition()) return resolve();
      const timer = setTimeout(() => {
        this.#waiters.delete(wake);
        reject(new Error("timed out after " + deadlineMs + " ms waiting for " + what + "; received: " + JSON.stringify(this.text.slice(-300)) + " ending=" + this.ending));
      }, deadlineMs);
      const wake = (): void => {
        if (!condition()) return;
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve();
      };
      this.#waiters.add(wake);
    });
  }

  /** The first received line matching `pattern` (at or after line index `from`). */
  async waitLine(pattern: RegExp, deadlineMs = 3000, from = 0): Promise<string> {
    let found: string | undefined;
    await this.wait(() => (found = this.lines.slice(from).find((l) => pattern.test(l))) !== undefined, "a line matching " + pattern, deadlineMs);
    return found!;
  }

  /** Wait until the server has ended the connection (FIN or RST). */
  async waitEnded(deadlineMs = 3000): Promise<Ending> {
    await this.wait(() => this.ending !== undefined, "the server to end the connection", deadlineMs);
    return this.ending!;
  }

  #wake(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
