// A board's USB serial port as a source of log lines, through the `serialport` library (its prebuilt native binding
// ships inside the npm package). What a board prints there depends on its build (docs/flashing.md, section 3):
// plain text lines (an instrumented `-i` build, ESP-IDF's boot messages), or, in a debug `-d` build, Moddable's xsbug
// framing, which XS writes when no debugger answers too (SDK xs/platforms/esp/xsPlatform.c fx_putc and fx_putpi,
// xs/sources/xsDebug.c fxVReport):
//
//   \r\n<?xs.3FFB1234?>\r\n<xsbug><log>  5135 I tcp.client: state ...\n</log></xsbug>\r\n
//
// SerialDecoder turns either into lines: the `<log>` text of each xsbug message, XML entities decoded (&amp; &lt;
// &gt; &quot; &apos; &#10; ...), and every plain line; the other xsbug messages (login, break, instruments) are
// skipped. Nothing it is fed can make it throw, and an xsbug message that never ends is dropped after 64 KB.
import type { Duplex } from "node:stream";

/** The longest xsbug message kept while waiting for its end, and the longest plain line. */
export const MAX_PENDING = 65536;

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

export function decodeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|amp|lt|gt|quot|apos);/g, (whole, name: string) => {
    if (name.startsWith("#")) {
      const code = name[1] === "x" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name] ?? whole;
  });
}

export class SerialDecoder {
  #pending = "";
  /** Text of `<log>` elements not yet ended by a newline (a trace() without one continues in the next message). */
  #logText = "";
  /** Bytes dropped: an xsbug message or a plain line longer than MAX_PENDING. */
  dropped = 0;

  /** Feed bytes as they arrive (any split); returns the complete lines they finish. */
  push(chunk: Uint8Array | string): string[] {
    this.#pending += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("latin1");
    const lines: string[] = [];
    for (;;) {
      // XS's processing instructions (`<?xs.ID?>`, `<?xs-00000000?>` at reset) mark who speaks; they carry no text.
      this.#pending = this.#pending.replace(/<\?xs[^>]{0,32}\?>/g, "");
      const start = this.#pending.indexOf("<xsbug>");
      const newline = this.#pending.indexOf("\n");
      if (start >= 0 && (newline < 0 || start < newline)) {
        const before = this.#pending.slice(0, start).replace(/\r/g, "");
        if (before.trim()) lines.push(before);
        const end = this.#pending.indexOf("</xsbug>", start);
        if (end < 0) {
          this.#pending = this.#pending.slice(start);
          if (this.#pending.length > MAX_PENDING) this.#drop();
          break;
        }
        this.#message(this.#pending.slice(start + 7, end), lines);
        this.#pending = this.#pending.slice(end + 8);
        continue;
      }
      if (newline < 0) {
        // A `<` may be the start of `<xsbug>` or `<?xs` still on its way: keep the tail, as plain text it waits for its newline.
        if (this.#pending.length > MAX_PENDING) this.#drop();
        break;
      }
      const line = this.#pending.slice(0, newline).replace(/\r/g, "");
      this.#pending = this.#pending.slice(newline + 1);
      if (line.trim()) lines.push(line);
    }
    return lines;
  }

  /** What is left at the end of the stream, as a last line. */
  end(): string[] {
    const rest = (this.#logText + this.#pending.replace(/<[^>]*>/g, "")).replace(/\r/g, "");
    this.#logText = "";
    this.#pending = "";
    return rest.trim() ? [rest] : [];
  }

  #drop(): void {
    this.dropped += this.#pending.length;
    this.#pending = "";
  }

  #message(body: string, lines: string[]): void {
    for (const match of body.matchAll(/<log(?:\s[^>]*)?>([\s\S]*?)<\/log>/g)) {
      this.#logText += decodeXml(match[1]);
      const parts = this.#logText.split("\n");
      this.#logText = parts.pop() ?? "";
      for (const part of parts) {
        const line = part.replace(/\r/g, "");
        if (line.trim()) lines.push(line);
      }
    }
  }
}

/** What opens a port: `serialport`'s SerialPort by default, its SerialPortMock in tests. */
export type SerialOpener = (options: { path: string; baudRate: number }) => Duplex & { close?(callback?: (error?: Error | null) => void): void };

/** `serialport`'s SerialPort, loaded when the first port is opened (a monitor of UDP alone never loads the binding). */
export async function defaultOpener(): Promise<SerialOpener> {
  const { SerialPort } = await import("serialport");
  return (options) => new SerialPort({ ...options, autoOpen: true });
}
