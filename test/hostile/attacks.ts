// The hostile-input attacks that must hold on both runtimes, against a linklab server running as a board would: a
// process listening on 127.0.0.1:<port> (`linklab run role=server` on the host runtime, or the mcconfig image on
// mcsim). Raw node:net peers from several 127.0.0.x addresses play the attacker and the honest client. Each attack
// is bounded in count and time and returns what it measured; the tests (attacks.test.ts for the host runtime,
// test/device/hostile.test.ts for real XS) assert the same outcome on both.
import assert from "node:assert/strict";
import { RawPeer, until } from "./peer.ts";

/** The server's config for these attacks (what both runtimes are started with). */
export const ATTACK_CONFIG = { role: "server", id: "srv", beaconMs: "0", maxClients: "8", handshakeMs: "2000", heartbeatMs: "1000", timeoutMs: "3000" };
const HANDSHAKE_MS = Number(ATTACK_CONFIG.handshakeMs);

const WELCOME = /^WELCOME srv session=\d+ /;

/** An honest client: connects (from `from`), says HELLO, and resolves with the ms until WELCOME (or throws). */
export async function honestHello(port: number, id: string, from: string, deadlineMs: number): Promise<{ ms: number; peer: RawPeer }> {
  const startMs = performance.now();
  const peer = await RawPeer.connect(port, { from });
  await peer.write(`HELLO ${id}\n`);
  await peer.waitLine(WELCOME, deadlineMs);
  return { ms: Math.round(performance.now() - startMs), peer };
}

export type BurstResult = { connections: number; answered: number; unanswered: number; answers: Record<string, number>; afterwardsMs: number };

/**
 * `connections` silent connects at once from 10 addresses: every one must get an answer (an ERR line, or at least
 * the end of its connection), and a client connecting afterwards must get WELCOME.
 */
export async function burst(port: number, connections = 200): Promise<BurstResult> {
  const peers: RawPeer[] = [];
  try {
    const connecting: Promise<RawPeer>[] = [];
    for (let i = 0; i < connections; i++) connecting.push(RawPeer.connect(port, { from: `127.0.0.${10 + (i % 10)}` }));
    peers.push(...(await Promise.all(connecting)));
    // Answered: an ERR line (busy, evicted, hello-timeout) or the end of the connection. Bounded by the hello
    // timeout plus the server's check interval and a margin for lin's 20 ms polling.
    const answered = (p: RawPeer): boolean => p.lines.length > 0 || p.ending !== undefined;
    await until(() => peers.every(answered), `all ${connections} connections answered`, HANDSHAKE_MS * 3 + 5000).catch(() => {});
    const answers: Record<string, number> = {};
    for (const p of peers) {
      const first = p.lines[0];
      const key = first ? first.split(" ").slice(0, 2).join(" ") : p.ending ? `no line, ${p.ending}` : "nothing";
      answers[key] = (answers[key] ?? 0) + 1;
    }
    const afterwards = await honestHello(port, "after-burst", "127.0.0.77", HANDSHAKE_MS + 3000);
    afterwards.peer.destroy();
    const unanswered = peers.filter((p) => !answered(p)).length;
    return { connections, answered: connections - unanswered, unanswered, answers, afterwardsMs: afterwards.ms };
  } finally {
    for (const p of peers) p.destroy();
  }
}

export type PipelineResult = { sent: number; replies: number; inOrder: boolean; ending: string | undefined };

/** One client says HELLO, writes `count` ECHOs in one write (lines of `bytes` bytes), and reads every reply. */
export async function pipeline(port: number, count: number, bytes: number, deadlineMs: number): Promise<PipelineResult> {
  const { peer } = await honestHello(port, "piper", "127.0.0.78", HANDSHAKE_MS + 3000);
  try {
    const lines: string[] = [];
    for (let i = 0; i < count; i++) {
      const head = `ECHO ${i} `;
      lines.push(head + "p".repeat(Math.max(1, bytes - head.length - 1)) + "\n");
    }
    void peer.write(lines.join("")).catch(() => {});
    const echoes = (): string[] => peer.lines.filter((l) => l.startsWith("ECHO "));
    await peer.wait(() => echoes().length >= count || peer.ending !== undefined, `${count} ECHO replies`, deadlineMs).catch(() => {});
    const got = echoes();
    const inOrder = got.every((l, i) => l.startsWith(`ECHO ${i} `));
    return { sent: count, replies: got.length, inOrder, ending: peer.ending };
  } finally {
    peer.destroy();
  }
}

export type LockoutResult = { attackerConnections: number; evicted: number; welcomeMs: number };

/**
 * The attacker holds 8 silent connections from one address and reopens each the moment it is closed; after a
 * second of that, an honest client from another address says HELLO and must get WELCOME within about handshakeMs.
 */
export async function lockout(port: number): Promise<LockoutResult> {
  const attackers = new Set<RawPeer>();
  let opened = 0;
  let evicted = 0;
  let running = true;
  const keep = async (): Promise<void> => {
    // Bounded: at most 400 reconnects per slot while the attack runs.
    for (let round = 0; running && round < 400; round++) {
      let peer: RawPeer;
      try {
        peer = await RawPeer.connect(port, { from: "127.0.0.66" });
      } catch {
        continue;
      }
      opened++;
      attackers.add(peer);
      await peer.waitEnded(HANDSHAKE_MS * 3).catch(() => {});
      if (/ERR busy/.test(peer.text)) evicted++;
      attackers.delete(peer);
      peer.destroy();
    }
  };
  const slots = Array.from({ length: 8 }, () => keep());
  try {
    await until(() => opened >= 8, "the attacker's 8 connections", 5000);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // the attack runs a while before the client comes
    const { ms, peer } = await honestHello(port, "honest", "127.0.0.79", HANDSHAKE_MS + 2000);
    peer.destroy();
    return { attackerConnections: opened, evicted, welcomeMs: ms };
  } finally {
    running = false;
    for (const p of attackers) p.destroy();
    await Promise.all(slots);
  }
}

export type ErrBudgetResult = { badLinesSent: number; errs: number; closedWith: string | undefined; ending: string | undefined };

/** An online peer sends 2,000 lines that each draw an ERR (a second HELLO, unexpected verbs), with good PINGs between. */
export async function errFlood(port: number): Promise<ErrBudgetResult> {
  const { peer } = await honestHello(port, "noisy", "127.0.0.80", HANDSHAKE_MS + 3000);
  try {
    const lines = Array.from({ length: 2000 }, (_, i) => ["HELLO noisy\n", "WELCOME x session=1 heartbeatMs=1 timeoutMs=2\n", "PING 1\n"][i % 3]);
    void peer.write(lines.join("")).catch(() => {});
    await peer.waitEnded(10_000).catch(() => {});
    const errs = peer.lines.filter((l) => l.startsWith("ERR "));
    return { badLinesSent: lines.filter((l) => !l.startsWith("PING")).length, errs: errs.length, closedWith: errs.at(-1)?.split(" ")[1], ending: peer.ending };
  } finally {
    peer.destroy();
  }
}

/** A server under attack: where it listens, its serial log so far, and how to stop it. */
export type Target = { port: number; log(): string[]; stop(): Promise<void> };

/**
 * The four attacks of the hardening issue as one mocha block, against a fresh server from `start` for each, with
 * `results` collecting the figures (docs/reliability.md shows them per runtime). `before` must skip when the
 * runtime is not there.
 */
export function attackSuite(title: string, start: () => Promise<Target>, results: Record<string, unknown>, setup?: (context: Mocha.Context) => void): void {
  describe(title, function () {
    this.timeout(120_000);
    let target: Target | undefined;
    before(function () {
      setup?.(this);
    });
    beforeEach(async () => {
      target = await start();
    });
    afterEach(async function () {
      const log = target?.log() ?? [];
      if (this.currentTest?.state === "failed") process.stdout.write(`\n      server log (last 20 lines):\n${log.slice(-20).map((l) => "      " + l).join("\n")}\n`);
      await target?.stop();
      target = undefined;
    });

    it("answers every connection of a burst of 200, and a client connecting afterwards gets WELCOME", async () => {
      const r = await burst(target!.port, 200);
      results.burst = r;
      assert.equal(r.unanswered, 0, JSON.stringify(r.answers));
      assert.ok(!target!.log().some((l) => /XS abort/.test(l)), "no XS abort");
    });

    it("answers all 10,000 ECHOs of a client that pipelines them in one write and reads", async () => {
      const r = await pipeline(target!.port, 10_000, 12, 60_000);
      results.pipeline = r;
      assert.deepEqual({ replies: r.replies, inOrder: r.inOrder, ending: r.ending }, { replies: 10_000, inOrder: true, ending: undefined });
    });

    it("lets a client in within about handshakeMs while 8 silent connections are reopened continuously", async () => {
      const r = await lockout(target!.port);
      results.lockout = r;
      assert.ok(r.welcomeMs <= HANDSHAKE_MS + 1000, `WELCOME after ${r.welcomeMs} ms`);
      assert.ok(r.attackerConnections >= 8);
    });

    it("closes a peer drawing ERRs within its budget of 16", async () => {
      const r = await errFlood(target!.port);
      results.errFlood = r;
      assert.ok(r.ending !== undefined, "the server closed the connection");
      assert.ok(r.errs <= 17, `${r.errs} ERR lines before the close`);
    });
  });
}
