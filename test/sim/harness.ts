// Test-only helpers over the shared lab (host-sim/harness/roles.ts, which the benches use too): a raw node:net peer
// that talks the protocol line by line like `nc`, and a RoleHarness that can open one and closes it with the rest.
import { connect, type Socket } from "node:net";
import { RoleHarness } from "../../host-sim/harness/roles.ts";

/** The shared RoleHarness plus raw(port): a person typing protocol lines with nc, closed when the harness closes. */
export class TestHarness extends RoleHarness {
  raw(port: number): Promise<RawPeer> {
    return RawPeer.connect(port).then((peer) => {
      this.onClose(() => peer.socket.destroy());
      return peer;
    });
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
