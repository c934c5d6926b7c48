// The device suite, memory: linklab built for lin with the XS heap manifest.json gives the esp32
// (platforms.esp32.creation: chunk bytes and slots, incremental 0), so memory full comes where it would on a board
// (in slot counts; see docs/performance.md, "XS memory on the device", for what lin cannot show). The server runs
// with the largest maxClients modules/settings.ts allows, every session ECHOing full-length lines while the
// pending-handshake budget is full of silent connections: no `XS abort`, every reply back. A second image with a
// probe (bench/xs-device-memory.ts) checks the live memory of that load against the model settings.ts caps with.
import assert from "node:assert/strict";
import {
  allReplied,
  connectClients,
  creationApp,
  esp32Creation,
  LIN_SLOT_BYTES,
  nextLine,
  parseInstruments,
  parseProbe,
  silentFleet,
  type EchoClient,
  type SilentPeer,
} from "../../host-sim/moddable/xs-memory.ts";
import type { ModdableBoard } from "../../host-sim/moddable/run.ts";
import { defaultSettings, maxClientsFitting, XS_COST, XS_FILL, XS_HEAP } from "../../modules/settings.ts";
import { boot, freePort, image, requireSdk, stopBoards } from "./support.ts";
import { until } from "../hostile/peer.ts";

const XS_ABORT = /XS abort/;
/** ECHOs per session, one every ECHO_MS: about three seconds of traffic. */
const ECHOES = 12;
const ECHO_MS = 250;

/**
 * The worst case the server admits: maxClients - 1 sessions online, then maxClients silent connections (the
 * pending budget; it is open while fewer than maxClients are online), then the last session (its connection
 * evicts the oldest silent one). Then every session sends ECHOES lines of maxLine bytes. Returns what to close.
 */
async function worstCase(board: ModdableBoard, port: number, maxClients: number, maxLine: number): Promise<{ clients: EchoClient[]; silent: SilentPeer[]; from: number }> {
  const clients: EchoClient[] = [];
  let silent: SilentPeer[] = [];
  const options = { echoes: ECHOES, echoMs: ECHO_MS, deadlineMs: 10_000, lineBytes: maxLine };
  try {
    await connectClients(port, 1, maxClients - 1, options, clients);
    silent = await silentFleet(board, port, maxClients, 10_000);
    await connectClients(port, maxClients, maxClients, options, clients);
    const from = board.lines.length;
    for (const client of clients) client.begin();
    await allReplied(clients, ECHOES, ECHOES * ECHO_MS + 20_000);
    return { clients, silent, from };
  } catch (error) {
    close(clients, silent);
    throw error;
  }
}

function close(clients: EchoClient[], silent: SilentPeer[]): void {
  for (const client of clients) client.close();
  for (const peer of silent) peer.socket.destroy();
}

describe("device: XS memory with the esp32 heap (Moddable SDK, lin)", function () {
  this.timeout(300_000);
  before(function () {
    requireSdk(this);
  });
  afterEach(stopBoards);

  const creation = esp32Creation();
  const { maxLine } = defaultSettings();
  const maxClients = maxClientsFitting(maxLine);
  const overrides = async (): Promise<Record<string, string>> => ({
    role: "server",
    id: "xs-server",
    port: String(await freePort()),
    maxClients: String(maxClients),
    // The silent connections stay pending for the whole test; beacons go to a port nobody listens on.
    handshakeMs: "60000",
    beaconPort: String(await freePort()),
  });

  it("manifest.json's esp32 heap is the one settings.ts counts with, and the most clients it allows is the default", () => {
    assert.deepEqual([creation.chunk.initial, creation.heap.initial], [XS_HEAP.chunkBytes, XS_HEAP.slots]);
    assert.deepEqual([creation.chunk.incremental, creation.heap.incremental], [0, 0]);
    assert.equal(maxClients, defaultSettings().maxClients);
  });

  it(`serves the largest allowed maxClients, each ECHOing maxLine-byte lines, with the pending budget full, without an XS abort`, async () => {
    const config = await overrides();
    const board = await boot(await image({ appDir: creationApp(creation), debug: true, overrides: config }));
    await board.waitForLine(new RegExp(`tcp\\.server: state stopped->listening .*maxClients=${maxClients}\\b`), 60_000);
    const { clients, silent, from } = await worstCase(board, Number(config.port), maxClients, maxLine);
    try {
      for (const client of clients) {
        assert.equal(client.replies, ECHOES, `${client.id}: every ECHO answered`);
        assert.equal(client.wrong, 0, `${client.id}: every reply the line it sent`);
      }
      // The last session's connection evicted the oldest silent one; the others are still pending. An evicted
      // connection is closed at once, without waiting for its ERR line: on lin an adopted socket is not writable
      // until its first poll, so the ERR may be dropped and the peer sees only the FIN (on lwIP an accepted socket
      // is writable at once and the ERR goes out first).
      await board.waitForLine(/tcp\.server: .*reason=evicted/, 5000);
      await until(() => silent.some((peer) => peer.received !== "" || peer.closed), "the evicted connection to end", 3000);
      const evicted = silent.filter((peer) => peer.received !== "" || peer.closed);
      assert.equal(evicted.length, 1, "one silent connection evicted");
      assert.match(evicted[0].received, /^(ERR busy handshake slots full, oldest evicted\n)?$/);
      assert.equal(silent.filter((peer) => peer.received === "" && !peer.closed).length, maxClients - 1, "the other silent connections still pending");
      // Two more seconds of instrumentation with everything connected: the heap never grew (incremental 0).
      let at = board.lines.length;
      for (let k = 0; k < 2; k++) at = await nextLine(board, /^instruments: /, at, 5000);
      assert.deepEqual(board.lines.filter((line) => XS_ABORT.test(line)), []);
      const samples = parseInstruments(board.lines);
      assert.ok(samples.length >= 3, "instruments lines (debug build)");
      const slots = new Set(samples.map((s) => s["Slot available"] / LIN_SLOT_BYTES));
      const chunks = new Set(samples.map((s) => s["Chunk available"]));
      // One slot of the first heap block links the blocks (xsMemory.c fxGrowSlots), so 8064 slots show as 8063.
      assert.deepEqual([...slots], [creation.heap.initial - 1], "the slot heap stayed the esp32's");
      assert.deepEqual([...chunks], [creation.chunk.initial], "the chunk heap stayed the esp32's");
      const busy = parseInstruments(board.lines).slice(parseInstruments(board.lines.slice(0, from)).length);
      assert.ok(busy.length > 0 && busy.every((s) => s["Slot used"] / LIN_SLOT_BYTES < creation.heap.initial), "slot use sampled under the heap");
    } finally {
      close(clients, silent);
    }
  });

  it("keeps that load's live memory within the model settings.ts caps maxClients with (XS_COST)", async () => {
    const config = await overrides();
    const board = await boot(await image({ appDir: creationApp(creation, { probe: true }), debug: true, overrides: config }));
    await board.waitForLine(/tcp\.server: state stopped->listening/, 60_000);
    let at = await nextLine(board, /^memprobe: /, board.lines.length, 5000);
    const boot0 = parseProbe(board.lines.slice(at - 1, at))[0];
    const { clients, silent } = await worstCase(board, Number(config.port), maxClients, maxLine);
    try {
      // Once the ECHOs are answered: maxClients online, maxClients - 1 pending; three probe lines (full collections).
      const settled = board.lines.length;
      at = settled;
      for (let k = 0; k < 3; k++) at = await nextLine(board, /^memprobe: /, at, 5000);
      const probe = parseProbe(board.lines.slice(settled));
      const live = { slots: Math.min(...probe.map((p) => p.slotBytes / LIN_SLOT_BYTES)), chunkBytes: Math.min(...probe.map((p) => p.chunkBytes)) };
      const connections = 2 * maxClients - 1;
      // The model (modules/settings.ts maxClientsFitting): boot of both roles, then per connection; the send queues
      // are empty here, so their share is not part of this check. The probe adds a little of its own (conservative).
      const model = { slots: XS_COST.bootSlots + connections * XS_COST.connectionSlots, chunkBytes: XS_COST.bootChunkBytes + connections * (XS_COST.connectionChunkBytes + maxLine) };
      const advice = "the firmware takes more XS heap than modules/settings.ts XS_COST says: measure again (bench/xs-device-memory.ts) and update XS_COST and docs/performance.md";
      assert.ok(boot0.slotBytes / LIN_SLOT_BYTES <= XS_COST.bootSlots, `boot: ${boot0.slotBytes / LIN_SLOT_BYTES} live slots, model ${XS_COST.bootSlots}; ${advice}`);
      assert.ok(live.slots <= model.slots, `${connections} connections: ${live.slots} live slots, model ${model.slots}; ${advice}`);
      assert.ok(live.chunkBytes <= model.chunkBytes, `${connections} connections: ${live.chunkBytes} live chunk bytes, model ${model.chunkBytes}; ${advice}`);
      assert.ok(model.slots <= XS_HEAP.slots * XS_FILL, "the model leaves the heap's headroom free");
      assert.deepEqual(board.lines.filter((line) => XS_ABORT.test(line)), []);
    } finally {
      close(clients, silent);
    }
  });
});
