// `linklab monitor [PORT[@BAUD] ...] [--udp [ADDRESS:]PORT] [--baud N] [--debug] [--ui]`: every board's log in one view,
// interleaved, labelled and coloured as `linklab lab` shows them, with a one-line state per board. On a terminal the
// states stay at the bottom, redrawn twice a second (a backoff counts down); piped, each change of state is a line of
// its own, marked `*`, and bad datagrams lines marked `!` (the first, then at most one per 5 s with the count).
// Runs until Ctrl-C. Usage errors: one line, exit 2.
import { Monitor, type MonitorEvent, type MonitorStream } from "./monitor.ts";

export const usage = `usage: linklab monitor [PORT[@BAUD] ...] [--udp [ADDRESS:]PORT] [--baud N] [--debug] [--ui]

  PORT          a board's serial port (/dev/ttyUSB0, /dev/cu.usbserial-0001, COM3); @BAUD for that port only
  --udp         listen for UDP syslog (RFC 5424) from boards built with logTo=<this machine's IP>:PORT
                (ADDRESS defaults to 0.0.0.0: every interface)
  --baud N      serial speed (default 115200; a debug -d build's xsbug line runs at 460800)
  --debug       also show D-level lines
  --ui          also serve the live web page (boards, sequence diagrams) on 127.0.0.1; its URL is printed`;

const COLORS = [36, 33, 35, 32, 34, 91, 96, 93];

export class MonitorUsageError extends Error {}

export interface MonitorArgs {
  serial: { path: string; baudRate: number }[];
  udp?: { address: string; port: number };
  debug: boolean;
  /** Also serve the live web page (host-sim/ui/) on 127.0.0.1. */
  ui: boolean;
}

function parsePort(text: string, what: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new MonitorUsageError(`${what}: '${text}' is not a port number 0..65535`);
  return port;
}

export function parseArgs(words: string[]): MonitorArgs {
  let baud = 115200;
  const ports: { path: string; baud?: number }[] = [];
  let udp: MonitorArgs["udp"];
  let debug = false;
  let ui = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (word === "--udp") {
      const value = words[++i];
      if (!value) throw new MonitorUsageError("--udp needs a port, or ADDRESS:PORT");
      const colon = value.lastIndexOf(":");
      const address = colon < 0 ? "0.0.0.0" : value.slice(0, colon);
      if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) throw new MonitorUsageError(`--udp: '${address}' is not an IPv4 address`);
      udp = { address, port: parsePort(colon < 0 ? value : value.slice(colon + 1), "--udp") };
    } else if (word === "--baud") {
      const value = words[++i] ?? "";
      baud = /^\d{3,7}$/.test(value) ? Number(value) : NaN;
      if (!baud) throw new MonitorUsageError(`--baud: '${value}' is not a speed such as 115200`);
    } else if (word === "--debug") debug = true;
    else if (word === "--ui") ui = true;
    else if (word.startsWith("-")) throw new MonitorUsageError(`unknown option '${word}'`);
    else {
      const at = word.lastIndexOf("@");
      if (at > 0) {
        const speed = word.slice(at + 1);
        if (!/^\d{3,7}$/.test(speed)) throw new MonitorUsageError(`${word}: '@${speed}' is not a speed such as @115200`);
        ports.push({ path: word.slice(0, at), baud: Number(speed) });
      } else ports.push({ path: word });
    }
  }
  if (ports.length === 0 && !udp) throw new MonitorUsageError("nothing to monitor: name serial ports, or --udp PORT, or both");
  return { serial: ports.map((p) => ({ path: p.path, baudRate: p.baud ?? baud })), udp, debug, ui };
}

export interface Terminal {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** The terminal view of a monitor's stream; returns a stop function. */
export function terminalView(stream: MonitorStream, out: Terminal, options: { debug?: boolean; color?: boolean } = {}): () => void {
  const tty = out.isTTY === true;
  const color = options.color ?? (tty && !process.env.NO_COLOR);
  let width = 8;
  let footerHeight = 0;
  let lastBadShown = -Infinity;
  let badPending = 0;
  let lastBad: Extract<MonitorEvent, { type: "bad" }> | undefined;
  const paint = (index: number, text: string): string => (color ? `\x1b[${COLORS[index % COLORS.length]}m${text}\x1b[0m` : text);
  const clock = (t: number): string => (t / 1000).toFixed(1).padStart(7);
  const footer = (): string[] => {
    const now = stream.now();
    const lines = stream.boards().map((b) => `${paint(b.index, b.label.padEnd(width))} = ${b.state}  (${b.lines} lines, last ${((now - b.lastMs) / 1000).toFixed(0)} s ago)`);
    if (stream.bad) lines.push(`${"bad".padEnd(width)} = ${stream.bad} datagram${stream.bad > 1 ? "s" : ""} not RFC 5424 syslog${lastBad ? `, last from ${lastBad.from}: ${lastBad.reason}` : ""}`);
    return lines;
  };
  const erase = (): void => {
    if (footerHeight === 0) return;
    out.write("\r\x1b[K" + "\x1b[1A\x1b[K".repeat(footerHeight - 1));
    footerHeight = 0;
  };
  const draw = (): void => {
    const lines = footer();
    if (lines.length === 0) return;
    out.write((color ? "\x1b[7m" : "") + lines.join("\n") + (color ? "\x1b[0m" : ""));
    footerHeight = lines.length;
  };
  const write = (text: string): void => {
    erase();
    out.write(text + "\n");
    if (tty) draw();
  };
  const unsubscribe = stream.subscribe((event) => {
    switch (event.type) {
      case "line":
        if (event.level === "D" && !options.debug) return;
        width = Math.max(width, event.board.length);
        write(`${clock(event.t)} ${paint(event.index, event.board.padEnd(width))} | ${event.text}`);
        return;
      case "state":
        width = Math.max(width, event.board.length);
        if (tty) {
          erase();
          draw();
        } else write(`${clock(event.t)} ${paint(event.index, event.board.padEnd(width))} * ${event.state}`);
        return;
      case "bad":
        lastBad = event;
        badPending++;
        if (event.t - lastBadShown < 5000) {
          if (tty) {
            erase();
            draw();
          }
          return;
        }
        lastBadShown = event.t;
        write(`${clock(event.t)} ${"bad".padEnd(width)} ! datagram from ${event.from} is not RFC 5424 syslog: ${event.reason} (${badPending} since the last such line, ${event.count} in all)`);
        badPending = 0;
        return;
      case "source":
        write(`${clock(event.t)} ${"monitor".padEnd(width)} * ${event.source}: ${event.status}${event.detail ? ` (${event.detail})` : ""}`);
        return;
    }
  });
  const timer = tty
    ? setInterval(() => {
        erase();
        draw();
      }, 500)
    : undefined;
  return () => {
    clearInterval(timer);
    unsubscribe();
    erase();
  };
}

export async function main(words: string[]): Promise<void> {
  if (words.includes("--help") || words.includes("-h")) {
    process.stdout.write(usage + "\n");
    return;
  }
  let args: MonitorArgs;
  try {
    args = parseArgs(words);
  } catch (error) {
    if (!(error instanceof MonitorUsageError)) throw error;
    process.stderr.write(`linklab monitor: ${error.message}\n${usage}\n`);
    process.exit(2);
  }
  const monitor = new Monitor();
  const stop = terminalView(monitor, process.stdout, { debug: args.debug });
  const page = args.ui ? await servePage(monitor) : undefined;
  const end = (code: number): never => {
    stop();
    monitor.close();
    void page?.close();
    process.exit(code);
  };
  process.once("SIGINT", () => end(0));
  process.once("SIGTERM", () => end(0));
  if (args.udp) {
    try {
      await monitor.addUdp(args.udp);
    } catch (error) {
      process.stderr.write(`linklab monitor: cannot listen on UDP ${args.udp.address}:${args.udp.port}: ${(error as Error).message}\n`);
      end(2);
    }
  }
  for (const port of args.serial) await monitor.addSerial(port.path, { baudRate: port.baudRate });
}

/**
 * `--ui`: the live page of host-sim/ui/ fed from the monitor: each board's line goes into a RunFeed, which recognises
 * it through the same catalogue as a lab run's, on the monitor's clock. Bound to 127.0.0.1; the URL is printed.
 */
async function servePage(stream: MonitorStream): Promise<{ close(): Promise<void> }> {
  const { RECORD_FORMAT, RECORD_VERSION, RunFeed } = await import("../ui/record.ts");
  const { serveUi } = await import("../ui/server.ts");
  const feed = new RunFeed({ format: RECORD_FORMAT, version: RECORD_VERSION, source: "monitor", title: "linklab monitor", file: "", notes: [], durationMs: 0, boards: [], expectations: [] });
  stream.subscribe((event) => {
    if (event.type === "line") feed.boardLine(event.board, event.t, event.text);
  });
  const server = await serveUi(feed);
  process.stdout.write(`linklab monitor: the live page is at ${server.url} (open it in a browser; Ctrl-C stops)\n`);
  return server;
}
