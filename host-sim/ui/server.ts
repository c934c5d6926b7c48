// The live page's server: plain node:http for the page, `ws` for the updates. It binds 127.0.0.1 on a free port,
// serves one page (page.ts), the run so far as JSON (/run.json), and a WebSocket (/ws) that sends a new page the whole
// run (a snapshot), then the events as they come, in batches of about 100 ms. Each page has its own position in the
// event list, so a page that connects late, or falls out of step and asks again, gets exactly what it lacks. A page
// that does not answer pings, or reads too slowly, is dropped alone: the run and the other pages go on.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import type { LabEvent } from "../lab/events.ts";
import { pageHtml } from "./page.ts";
import type { RunFeed, StoredEvent } from "./record.ts";

export interface UiServer {
  url: string;
  /** Pages connected now. */
  clients(): number;
  /** Whether the server alone keeps the process running (off while a run goes on, so a failed run still exits). */
  hold(on: boolean): void;
  close(): Promise<void>;
}

/** Events as sent to a page: without the parsed line (the page reads it again from the text). */
function wire(events: readonly LabEvent[]): StoredEvent[] {
  return events.map(({ line: _line, ...rest }) => rest);
}

/** Most a page may have unread in its socket before it is dropped as too slow (it can reload). */
const MAX_BUFFERED = 16 * 1024 * 1024;
const BATCH_MS = 100;
const PING_MS = 10_000;

export async function serveUi(feed: RunFeed, options: { port?: number; host?: string } = {}): Promise<UiServer> {
  const host = options.host ?? "127.0.0.1";
  const page = await pageHtml({ live: true, title: `linklab: ${feed.header.title || feed.header.file}` });
  const http = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method !== "GET") {
      response.writeHead(405, { "content-type": "text/plain; charset=utf-8" }).end("linklab: only GET here\n");
      return;
    }
    if (path === "/" || path === "/index.html") {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" }).end(page);
    } else if (path === "/run.json") {
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ header: feed.header, events: wire(feed.events) }));
    } else response.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end(`linklab: nothing at ${path}; the page is at /\n`);
  });
  const wss = new WebSocketServer({ server: http, path: "/ws", maxPayload: 64 * 1024 });
  const sent = new Map<WebSocket, number>();
  const alive = new Set<WebSocket>();

  const send = (ws: WebSocket, message: unknown): void => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED) {
      ws.close(1013, "page too slow to read the run; reload it");
      return;
    }
    ws.send(JSON.stringify(message));
  };
  const snapshot = (ws: WebSocket): void => {
    sent.set(ws, feed.events.length);
    send(ws, { type: "snapshot", header: feed.header, events: wire(feed.events), ended: feed.ended });
  };

  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    timer = undefined;
    const events = feed.events;
    for (const [ws, from] of sent) {
      if (from >= events.length) continue;
      sent.set(ws, events.length);
      send(ws, { type: "events", from, events: wire(events.slice(from)) });
    }
  };
  const unsubscribe = feed.subscribe((change) => {
    if (change.type === "events") timer ??= setTimeout(flush, BATCH_MS);
    else {
      flush();
      for (const ws of sent.keys()) send(ws, change.type === "header" ? { type: "header", header: change.header } : { type: "end" });
    }
  });

  wss.on("connection", (ws) => {
    alive.add(ws);
    ws.on("pong", () => alive.add(ws));
    ws.on("message", (data) => {
      const text = (Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(new Uint8Array(data))).toString("utf8");
      let message: { type?: unknown } | undefined;
      try {
        message = JSON.parse(text) as { type?: unknown };
      } catch {
        message = undefined;
      }
      if (message?.type === "resync") snapshot(ws);
      else send(ws, { type: "error", message: `the page sent something linklab does not know (${text.slice(0, 60)}); ignored` });
    });
    ws.on("close", () => {
      sent.delete(ws);
      alive.delete(ws);
    });
    ws.on("error", () => ws.terminate());
    snapshot(ws);
  });
  // A page that stopped answering (a laptop put to sleep, a dead tab) is dropped; it reconnects when it wakes.
  const pinger = setInterval(() => {
    for (const ws of sent.keys()) {
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, PING_MS);
  pinger.unref();

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen({ host, port: options.port ?? 0 }, () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/`,
    clients: () => sent.size,
    hold: (on) => void (on ? http.ref() : http.unref()),
    close: () =>
      new Promise<void>((resolve) => {
        unsubscribe();
        clearInterval(pinger);
        if (timer) clearTimeout(timer);
        flush();
        for (const ws of wss.clients) ws.close(1001, "linklab stopped");
        wss.close();
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
