// The live page's server (host-sim/ui/server.ts): 127.0.0.1 on a free port, the page over HTTP, the run over a
// WebSocket: a snapshot first, then the new events with their position, so that a page in a wrong position asks again;
// a page that sends nonsense is told so and hurts no other page.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { WebSocket } from "ws";
import { ANCHORS } from "../../host-sim/lab/faults.ts";
import { parseRecord, RunFeed } from "../../host-sim/ui/record.ts";
import { serveUi, type UiServer } from "../../host-sim/ui/server.ts";
import { waitFor, within } from "../support/wait.ts";

const fixture = readFileSync(join(dirname(fileURLToPath(import.meta.url)), "fixtures", "default-run.json"), "utf8");

interface Message {
  type: string;
  from?: number;
  events?: { name: string }[];
  message?: string;
}

class PageClient {
  readonly messages: Message[] = [];
  readonly ws: WebSocket;
  closed = false;
  constructor(url: string) {
    this.ws = new WebSocket(url.replace("http:", "ws:") + "ws");
    this.ws.on("message", (data: Buffer) => this.messages.push(JSON.parse(data.toString("utf8")) as Message));
    this.ws.on("close", () => (this.closed = true));
  }
  count(type: string): number {
    return this.messages.filter((m) => m.type === type).length;
  }
  /** Events held by this page: the last snapshot's, plus the batches after it. */
  events(): number {
    let n = 0;
    for (const m of this.messages) {
      if (m.type === "snapshot") n = m.events!.length;
      else if (m.type === "events") n += m.events!.length;
    }
    return n;
  }
}

describe("ui server: the live page over HTTP and WebSocket", function () {
  this.timeout(15_000);
  let server: UiServer | undefined;
  const clients: PageClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.ws.terminate();
    await server?.close();
    server = undefined;
  });

  function feedOf(count: number): RunFeed {
    const record = parseRecord(fixture, "run.json", Object.keys(ANCHORS));
    const feed = new RunFeed(record.header);
    for (const event of record.events.slice(0, count)) feed.push(event);
    return feed;
  }

  it("binds 127.0.0.1 on a free port and serves the page, the run, and a clear 404", async () => {
    const feed = feedOf(20);
    server = await serveUi(feed);
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await (await fetch(server.url)).text();
    assert.match(page, /<body data-live="1">/);
    assert.ok(!/<script src=|<link /.test(page), "the page loads nothing else");
    const run = (await (await fetch(server.url + "run.json")).json()) as { events: unknown[] };
    assert.equal(run.events.length, 20);
    const missing = await fetch(server.url + "nothing");
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /the page is at \//);
  });

  it("sends a new page the run so far, then each new event once, in order, with its position", async () => {
    const record = parseRecord(fixture, "run.json", Object.keys(ANCHORS));
    const feed = feedOf(50);
    server = await serveUi(feed);
    const early = new PageClient(server.url);
    clients.push(early);
    await waitFor(() => early.count("snapshot") === 1, "the first page's snapshot");
    assert.equal(early.events(), 50);
    for (const event of record.events.slice(50, 120)) feed.push(event);
    await waitFor(() => early.events() === 120, "the 70 new events");
    const batches = early.messages.filter((m) => m.type === "events");
    let position = 50;
    for (const batch of batches) {
      assert.equal(batch.from, position, "each batch says where it starts");
      position += batch.events!.length;
    }
    const late = new PageClient(server.url);
    clients.push(late);
    await waitFor(() => late.count("snapshot") === 1, "the late page's snapshot");
    assert.equal(late.events(), 120);
    feed.end();
    await waitFor(() => early.count("end") === 1 && late.count("end") === 1, "both pages told the run ended");
  });

  it("answers a page that asks again (out of step) with the whole run, and one that sends nonsense with an error, without hurting the others", async () => {
    const record = parseRecord(fixture, "run.json", Object.keys(ANCHORS));
    const feed = feedOf(30);
    server = await serveUi(feed);
    const good = new PageClient(server.url);
    const bad = new PageClient(server.url);
    clients.push(good, bad);
    await waitFor(() => good.count("snapshot") === 1 && bad.count("snapshot") === 1, "both snapshots");
    bad.ws.send("{not json");
    bad.ws.send(JSON.stringify({ type: "explode" }));
    await waitFor(() => bad.count("error") === 2, "two error replies");
    assert.match(bad.messages.find((m) => m.type === "error")!.message!, /does not know/);
    bad.ws.send(JSON.stringify({ type: "resync" }));
    await waitFor(() => bad.count("snapshot") === 2, "a second snapshot");
    for (const event of record.events.slice(30, 40)) feed.push(event);
    await waitFor(() => good.events() === 40 && bad.events() === 40, "both pages get the new events");
    bad.ws.terminate();
    await waitFor(() => server!.clients() === 1, "the server forgets the closed page");
    feed.push(record.events[40]);
    await waitFor(() => good.events() === 41, "the good page still gets events");
  });

  it("closes the pages' sockets when it stops, so they can say the connection is gone", async () => {
    server = await serveUi(feedOf(5));
    const page = new PageClient(server.url);
    clients.push(page);
    await waitFor(() => page.count("snapshot") === 1, "the snapshot");
    await within(server.close(), "the server to close");
    server = undefined;
    await waitFor(() => page.closed, "the page's socket to close");
  });
});
