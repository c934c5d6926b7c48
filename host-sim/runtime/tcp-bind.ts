// A listening TCP socket bound synchronously, as Moddable's lwIP listener binds (modules/io/socket/lwip/tcp.c
// xs_listener_constructor: tcp_bind and tcp_listen inside the constructor): `listener.port` is known as soon as
// `new Listener({port: 0})` returns, and a taken address:port throws "socket bind" from the constructor. Both are
// pinned by test/runtime/listener.test.ts and relied on by the firmware (the server logs its port right away).
//
// This is the simulator's one use of a Node internal, process.binding("tcp_wrap"), kept here on purpose. Node's
// public API has no synchronous way to bind a TCP socket to a given address (checked on Node 20.20):
// - net.Server.listen(port, host) resolves `host` with dns.lookup first, even an IP literal, so the bind happens on
//   a later tick: server.address() is null and server.listening false right after listen() returns;
// - net.Server.listen(port) with no host binds synchronously, but only to the wildcard address (:: or 0.0.0.0),
//   which collides with the other simulated boards' listeners on 127.0.0.x at the same port;
// - net.Server.listen({fd}) is synchronous, but no public API creates a socket descriptor to give it (a worker
//   thread cannot hand a listening handle to this thread; a child process per bind is slow, and racy since the
//   port must be released and taken again);
// - probing a port (bind, close, bind again later) leaves the window in which another process takes it.
// What tcp_wrap gives is the exact libuv call server.listen() makes itself (uv_tcp_bind + uv_listen), and the
// handle goes straight into the public net.Server.listen(handle).
//
// Status of the API: process.binding() is DEP0111, a documentation-only deprecation from Node 10 to at least
// Node 24: it prints nothing (not even with --throw-deprecation) unless Node runs with --pending-deprecation, which
// asks for exactly such warnings. "tcp_wrap" is in process.binding's allow list and not in its runtime-deprecated
// list (only bindings like async_wrap, crypto, v8 warn on their own). The proposals to make DEP0111 a runtime
// deprecation (nodejs/node#48568, #50687) were closed. process.binding throws under Node's permission model
// (--permission), which the simulator does not use. If a future Node removes it, bindListening fails with a
// message that says so, and this file is the one place to change.
import type { Server } from "node:net";

/** The libuv TCP handle of tcp_wrap, as net.Server.listen(handle) takes it. */
export interface TcpHandle {
  bind(address: string, port: number): number;
  listen(backlog: number): number;
  getsockname(out: { port?: number }): number;
  close(): void;
}

type TcpWrap = { TCP: new (type: number) => TcpHandle; constants: { SERVER: number } };

let tcpWrap: TcpWrap | undefined;

function binding(): TcpWrap {
  if (tcpWrap) return tcpWrap;
  const processBinding = (process as unknown as { binding?: (name: string) => unknown }).binding;
  if (typeof processBinding !== "function")
    throw new Error("host-sim/runtime/tcp-bind.ts: this Node has no process.binding(), which the simulator's Listener needs to bind synchronously (see the comment there)");
  tcpWrap = processBinding.call(process, "tcp_wrap") as TcpWrap;
  return tcpWrap;
}

/** net.Server.listen()'s own default backlog. */
const BACKLOG = 511;

/**
 * Bind and listen on address:port (an IPv4 literal, as lwIP's listener takes) now; port 0 picks an ephemeral port.
 * Returns the handle to give net.Server.listen() and the port bound. Throws Error("socket bind") when the kernel
 * refuses (EADDRINUSE, EADDRNOTAVAIL, EACCES), as the board does.
 */
export function bindListening(address: string, port: number): { handle: TcpHandle; port: number } {
  const wrap = binding();
  const handle = new wrap.TCP(wrap.constants.SERVER);
  if (handle.bind(address, port) !== 0 || handle.listen(BACKLOG) !== 0) {
    handle.close();
    throw new Error("socket bind");
  }
  const out: { port?: number } = {};
  handle.getsockname(out);
  return { handle, port: out.port ?? port };
}

/** Make `server` accept on a handle from bindListening (synchronous: net.Server.listen(handle) adopts it as is). */
export function listenOn(server: Server, handle: TcpHandle): void {
  server.listen(handle as never);
}
