// The wire between a kernel socket and the app's TCP object, one gate per connection. Everything a fault can do to a
// connection happens here: hold traffic both ways (Wi-Fi down, partition), delay it (latency), sever it (lwIP
// aborting the pcb when the address goes away), reset it (injected RST), or find the peer has forgotten it (the
// peer was reset). Who decides is elsewhere: the station (station.ts) and the network's shape (shaping.ts).
// A held gate keeps the kernel socket open and pauses reading, so the peer's data waits in kernel buffers. The TCP
// object closes the gate's receive window the same way when the app leaves TCP_WND bytes unread (tcp.ts).
import type { Socket } from "node:net";
import { board } from "./board.ts";
import "./commands.ts";
import { attachGate, beforeSend, hopDelayMs, networkClock } from "./shaping.ts";
import { station } from "./station.ts";

/** What the network hands the app's side of a connection, in order. */
export type Inbound = { kind: "data"; data: Buffer } | { kind: "end" } | { kind: "error"; code: string };

type Outbound = { kind: "data"; data: Buffer; done: () => void } | { kind: "end" } | { kind: "reset" };

/** Every open gate on this board (the tests and benches look at them). */
export const gates = new Set<Gate>();

export class Gate {
  readonly socket: Socket;
  /** Added delay per direction, in ms (the lab's latency fault). 0 = none. */
  delayMs = 0;
  /** When the last segment went either way (networkClock, for the idle firewall): the SYN, at first. */
  lastActivityMs = networkClock.now();
  #deliver: ((event: Inbound) => void) | undefined;
  readonly #holds = new Set<string>();
  #inbound: Inbound[] = [];
  #outbound: Outbound[] = [];
  /** Delayed traffic (latency), in the order it must run; one timer serves the head. */
  #delayed: { dueMs: number; action: () => void }[] = [];
  #delayTimer: NodeJS.Timeout | undefined;
  #severed = false;
  /** The peer lost its state for this connection (it was reset): see peerForgot(). */
  #forgotten = false;
  #connected: (() => void) | undefined;
  /** The board's receive window is full (tcp.ts): the kernel socket is not read, whatever the holds. */
  #windowClosed = false;

  constructor(socket: Socket, deliver: (event: Inbound) => void) {
    this.socket = socket;
    this.#deliver = deliver;
    socket.on("data", (data: Buffer) => this.#fromNetwork({ kind: "data", data }));
    socket.on("end", () => this.#fromNetwork({ kind: "end" }));
    socket.on("error", (error: NodeJS.ErrnoException) => this.#fromNetwork({ kind: "error", code: error.code ?? "EIO" }));
    const unbind = station.bind(this); // held at once while the link is down
    socket.on("close", () => {
      gates.delete(this);
      unbind();
      board.closers.delete(this.#closer);
    });
    gates.add(this);
    board.closers.add(this.#closer);
    if (!this.held) socket.resume(); // an accepted socket starts paused (pauseOnConnect) until the app takes it
    attachGate(this);
  }

  readonly #closer = (): void => {
    this.socket.destroy();
  };

  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  get severed(): boolean {
    return this.#severed;
  }

  get held(): boolean {
    return this.#holds.size > 0;
  }

  /** Stop traffic both ways for `reason` (several reasons may hold at once). */
  hold(reason: string): void {
    this.#holds.add(reason);
    this.socket.pause();
  }

  /** Lift `reason`; when nothing holds any more, queued traffic flows again in order. */
  release(reason: string): void {
    this.#holds.delete(reason);
    if (this.held) return;
    const connected = this.#connected;
    this.#connected = undefined;
    connected?.();
    const inbound = this.#inbound.splice(0);
    const outbound = this.#outbound.splice(0);
    for (const event of outbound) this.#toNetwork(event);
    for (const event of inbound) this.#fromNetwork(event);
    if (!this.socket.destroyed && !this.#windowClosed) this.socket.resume();
  }

  get windowClosed(): boolean {
    return this.#windowClosed;
  }

  /**
   * The app's side holds a full receive window (lwIP stops acknowledging and advertises no space): stop reading the
   * kernel socket, so the kernel's own buffer fills and its window closes on the peer. Reopened once the app has read.
   */
  receiveWindow(open: boolean): void {
    if (open === !this.#windowClosed) return;
    this.#windowClosed = !open;
    if (this.socket.destroyed) return;
    if (!open) this.socket.pause();
    else if (!this.held) this.socket.resume();
  }

  /**
   * The app's side is gone but the kernel socket is not (lwIP tcp_abort while the link is down: the RST it sends
   * never leaves the board). The peer sees silence; once the link is back, the next segment it sends is answered
   * with RST, as lwIP answers a segment for which it has no pcb. The app's side gets ECONNABORTED first.
   */
  sever(): void {
    this.#deliver?.({ kind: "error", code: "ECONNABORTED" });
    this.#severed = true;
    this.#deliver = undefined;
    this.#outbound = [];
  }

  /**
   * The peer was reset (a reboot, a crash, a power cut: the lab freezes its process first, so nothing it sends
   * reaches us after this). On the board nothing more comes from it: what its killed process's kernel still sends
   * (the FIN or RST of the close) is dropped. The rebooted board's lwIP has no pcb for this connection and answers
   * the next segment it gets with RST (tcp_input: "no matching PCB", tcp_rst), so the next thing the app sends
   * once the peer is reachable again is answered with ECONNRESET. Until then the app sees only silence.
   */
  peerForgot(): void {
    this.#forgotten = true;
  }

  /** Inject an RST towards the peer now (the lab's reset fault); the app side sees ECONNRESET. */
  reset(): void {
    this.#deliver?.({ kind: "error", code: "ECONNRESET" });
    this.#deliver = undefined;
    this.socket.resetAndDestroy();
  }

  /** The kernel finished the handshake: tell the app now, or, while held (a blackholed peer's SYN/ACK never
   *  arrives), once released. */
  opened(connected: () => void): void {
    if (this.held) this.#connected = connected;
    else connected();
  }

  /** App -> network. */
  write(data: Buffer, done: () => void): void {
    this.#toNetwork({ kind: "data", data, done });
  }

  /** App -> network: FIN after anything queued. */
  end(): void {
    this.#toNetwork({ kind: "end" });
  }

  /** App -> network: RST (close() with unread data, as lwIP's tcp_close does). */
  abortConnection(): void {
    this.#toNetwork({ kind: "reset" });
  }

  /** The app has closed: nothing more is delivered to it. */
  detach(): void {
    this.#deliver = undefined;
  }

  #fromNetwork(event: Inbound): void {
    if (this.#severed) {
      if (station.up && event.kind !== "error") this.socket.resetAndDestroy();
      return;
    }
    if (this.held) {
      this.#inbound.push(event);
      return;
    }
    if (this.#forgotten && event.kind !== "data") return; // the close of the reset peer's old process
    this.lastActivityMs = networkClock.now();
    this.#later(() => this.#deliver?.(event));
  }

  #toNetwork(event: Outbound): void {
    if (this.#severed) return;
    beforeSend(this);
    if (this.held) {
      this.#outbound.push(event);
      return;
    }
    if (this.#forgotten) {
      // The reset peer answers with RST: the app hears ECONNRESET, and nothing it queued leaves.
      this.#deliver?.({ kind: "error", code: "ECONNRESET" });
      this.#deliver = undefined;
      this.#outbound = [];
      this.socket.destroy();
      return;
    }
    this.lastActivityMs = networkClock.now();
    this.#later(() => {
      if (this.socket.destroyed) return;
      if (event.kind === "data") this.socket.write(event.data, () => event.done());
      else if (event.kind === "end") this.socket.end();
      else this.socket.resetAndDestroy();
    });
  }

  /**
   * Run `action` now, or after delayMs keeping the order of everything already delayed. One queue and one timer:
   * separate timers with jittered delays could fire out of order (Node rounds each delay to whole ms).
   */
  #later(action: () => void): void {
    const delayMs = this.delayMs + hopDelayMs();
    if (delayMs <= 0 && this.#delayed.length === 0) {
      action();
      return;
    }
    const lastDueMs = this.#delayed.at(-1)?.dueMs ?? 0;
    this.#delayed.push({ dueMs: Math.max(performance.now() + delayMs, lastDueMs), action });
    this.#armDelay();
  }

  #armDelay(): void {
    if (this.#delayTimer || this.#delayed.length === 0) return;
    this.#delayTimer = setTimeout(() => {
      this.#delayTimer = undefined;
      const nowMs = performance.now() + 1; // a timer may fire a fraction of a millisecond early
      while (this.#delayed.length > 0 && this.#delayed[0].dueMs <= nowMs) this.#delayed.shift()!.action();
      this.#armDelay();
    }, Math.max(0, this.#delayed[0].dueMs - performance.now()));
  }
}
