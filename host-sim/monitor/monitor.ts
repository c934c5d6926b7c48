// `linklab monitor`'s engine: many boards' logs merged into one stream, in arrival order, each line labelled with its
// board, and a one-line state per board (host-sim/monitor/state.ts). Sources:
//  - UDP syslog (RFC 5424): every board built with logTo=<this laptop>:<port>, simulated boards included (the same
//    firmware path, modules/syslog.ts), and any other RFC 5424 sender. A board is known by HOSTNAME (its id), else
//    by the sender's address. A datagram that is not RFC 5424 is counted and reported, never fatal.
//  - serial ports (host-sim/monitor/serial.ts): plain text or xsbug framing. A port that closes (board unplugged,
//    another program took it) is retried every 2 s while the monitor runs.
//
// The merged stream is a small event source (MonitorStream): subscribe(listener) gets every MonitorEvent from then
// on, boards() a snapshot of every board's state. The terminal view (host-sim/monitor/cli.ts) is one subscriber; a
// web view can be another.
import { createSocket, type Socket } from "node:dgram";
import { basename } from "node:path";
import { parseSyslog } from "./syslog.ts";
import { defaultOpener, SerialDecoder, type SerialOpener } from "./serial.ts";
import { applyLine, describe, newState, type BoardState } from "./state.ts";

export type MonitorEvent =
  /** A log line of a board. `level` is the line's (E W I D) when it is a linklab line or syslog said so. */
  | { type: "line"; t: number; board: string; index: number; source: string; text: string; level?: string }
  /** A board's one-line state changed (also when a board is first seen). */
  | { type: "state"; t: number; board: string; index: number; state: string }
  /** A datagram that is not RFC 5424 syslog: `count` is the total so far. */
  | { type: "bad"; t: number; source: string; from: string; reason: string; count: number }
  /** A source opened, closed or failed (serial ports, the UDP listener). */
  | { type: "source"; t: number; source: string; status: "open" | "closed" | "error"; detail?: string };

export interface BoardView {
  /** What the board is shown as: its id once known, else the port name or the sender's address. */
  label: string;
  /** Order of first appearance (the terminal view's colour). */
  index: number;
  /** Where its lines come from: `udp 127.0.0.24:50123`, `serial /dev/ttyUSB0`. */
  source: string;
  state: string;
  lines: number;
  /** Monitor time of its last line, ms. */
  lastMs: number;
  boots: number;
}

/** The monitor's merged stream, for any view (terminal, web). */
export interface MonitorStream {
  subscribe(listener: (event: MonitorEvent) => void): () => void;
  boards(): BoardView[];
  /** Datagrams that were not RFC 5424 syslog, so far. */
  readonly bad: number;
  /** Monitor time, ms since it started. */
  now(): number;
}

interface Board {
  key: string;
  label: string;
  index: number;
  source: string;
  state: BoardState;
  shown: string;
}

export class Monitor implements MonitorStream {
  bad = 0;
  readonly badReasons = new Map<string, number>();
  #listeners = new Set<(event: MonitorEvent) => void>();
  #boards = new Map<string, Board>();
  #sockets: Socket[] = [];
  #closers: (() => void)[] = [];
  #closed = false;
  #start = performance.now();

  now(): number {
    return performance.now() - this.#start;
  }

  subscribe(listener: (event: MonitorEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  boards(): BoardView[] {
    const now = this.now();
    return [...this.#boards.values()]
      .sort((a, b) => a.index - b.index)
      .map((b) => ({ label: b.label, index: b.index, source: b.source, state: describe(b.state, now), lines: b.state.lines, lastMs: b.state.lastMs, boots: b.state.boots }));
  }

  #emit(event: MonitorEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A broken view must not stop the others, nor the sources.
      }
    }
  }

  /** One line of a board, from any source: `key` says which board, `label` how to show it until its id is known. */
  feed(key: string, label: string, source: string, text: string, level?: string): void {
    const t = this.now();
    let board = this.#boards.get(key);
    const isNew = !board;
    if (!board) {
      board = { key, label, index: this.#boards.size, source, state: newState(), shown: "" };
      this.#boards.set(key, board);
    }
    board.source = source;
    const changed = applyLine(board.state, text, t);
    if (board.state.id && board.state.id !== board.label) board.label = key.startsWith("serial:") ? `${board.state.id}@${label}` : board.state.id;
    this.#emit({ type: "line", t, board: board.label, index: board.index, source, text, level: level ?? /^\s*\d+ ([EWID]) /.exec(text)?.[1] });
    const shown = describe(board.state, t);
    if (isNew || (changed && shown !== board.shown)) {
      board.shown = shown;
      this.#emit({ type: "state", t, board: board.label, index: board.index, state: shown });
    }
  }

  #badDatagram(source: string, from: string, reason: string): void {
    this.bad++;
    this.badReasons.set(reason, (this.badReasons.get(reason) ?? 0) + 1);
    this.#emit({ type: "bad", t: this.now(), source, from, reason, count: this.bad });
  }

  /** Listen for syslog datagrams on `address:port` (port 0: any free one); resolves with the bound address. */
  addUdp(options: { address?: string; port: number }): Promise<{ address: string; port: number }> {
    const socket = createSocket({ type: "udp4", reuseAddr: false });
    this.#sockets.push(socket);
    const name = `udp ${options.address ?? "0.0.0.0"}:${options.port}`;
    return new Promise((resolve, reject) => {
      socket.once("error", (error) => {
        this.#emit({ type: "source", t: this.now(), source: name, status: "error", detail: error.message });
        reject(error);
      });
      socket.on("message", (data, remote) => {
        const from = `${remote.address}:${remote.port}`;
        const result = parseSyslog(data);
        if (!result.ok) return this.#badDatagram(name, from, result.reason);
        const host = result.message.hostname ?? remote.address;
        const lines = result.message.msg.split(/\r?\n/).filter((l) => l.trim());
        for (const line of lines.length ? lines : [""]) this.feed(`udp:${host}`, host, `udp ${from}`, line, result.message.level);
      });
      socket.bind(options.port, options.address, () => {
        socket.removeAllListeners("error");
        socket.on("error", (error) => this.#emit({ type: "source", t: this.now(), source: name, status: "error", detail: error.message }));
        const bound = socket.address();
        this.#emit({ type: "source", t: this.now(), source: `udp ${bound.address}:${bound.port}`, status: "open" });
        resolve({ address: bound.address, port: bound.port });
      });
    });
  }

  /**
   * Read a serial port (`/dev/ttyUSB0`, `COM3`). Returns once the first open was tried; a port that fails or closes
   * is opened again every `retryMs` while the monitor runs.
   */
  async addSerial(path: string, options: { baudRate?: number; opener?: SerialOpener; retryMs?: number } = {}): Promise<void> {
    const opener = options.opener ?? (await defaultOpener());
    const baudRate = options.baudRate ?? 115200;
    const retryMs = options.retryMs ?? 2000;
    const name = `serial ${path}`;
    const label = basename(path);
    let timer: NodeJS.Timeout | undefined;
    let port: ReturnType<SerialOpener> | undefined;
    const open = (): void => {
      timer = undefined;
      if (this.#closed) return;
      const decoder = new SerialDecoder();
      const feed = (lines: string[]) => {
        for (const line of lines) this.feed(`serial:${path}`, label, name, line);
      };
      let ended = false;
      const end = (status: "closed" | "error", detail?: string): void => {
        if (ended) return;
        ended = true;
        feed(decoder.end());
        this.#emit({ type: "source", t: this.now(), source: name, status, detail: detail ? `${detail}; retrying every ${retryMs / 1000} s` : `retrying every ${retryMs / 1000} s` });
        port = undefined;
        if (!this.#closed) timer = setTimeout(open, retryMs);
      };
      try {
        port = opener({ path, baudRate });
      } catch (error) {
        end("error", (error as Error).message);
        return;
      }
      port.on("open", () => this.#emit({ type: "source", t: this.now(), source: name, status: "open", detail: `${baudRate} baud` }));
      port.on("data", (chunk: Buffer) => feed(decoder.push(chunk)));
      port.on("error", (error: Error) => end("error", error.message));
      port.on("close", () => end("closed"));
    };
    this.#closers.push(() => {
      clearTimeout(timer);
      const p = port;
      port = undefined;
      try {
        p?.removeAllListeners();
        p?.on("error", () => {});
        if (p?.close) p.close(() => {});
        else p?.destroy();
      } catch {
        // already closed
      }
    });
    open();
  }

  close(): void {
    this.#closed = true;
    for (const close of this.#closers) close();
    for (const socket of this.#sockets) {
      try {
        socket.close();
      } catch {
        // already closed
      }
    }
    this.#listeners.clear();
  }
}
