// The board's side of the seam: Moddable's ECMA-419 socket classes in the shapes the roles take (linklab/ports).
// On the ESP32 these are lwIP's implementations (SDK modules/io/socket/lwip/*.js); on lin, Moddable's desktop
// ones; in the host simulator, host-sim/runtime/. Nothing here runs at boot beyond defining three classes.
//
// It also declares, in one place, what the runtime has and the typings lack, so that mcconfig's own per-file
// compile (SDK typings/, which only sees modules it imports, never an ambient file of ours) and our typecheck
// (@moddable/typings 5.6.0) both see it:
// - Listener.close() and UDP.close(): in every Moddable implementation (lwip/listener.js, lwip/udp.js: release
//   the pcb; idempotent), missing from both sets of typings;
// - the TCP `keepalive` option (linklab/ports TcpKeepalive), passed through to the runtime.

import TCP, { type Options as TCPOptions } from "embedded:io/socket/tcp";
import Listener from "embedded:io/socket/listener";
import UDP from "embedded:io/socket/udp";
import type { ListenerOptions, TcpKeepalive, TcpOptions, UdpOptions } from "linklab/ports";

/** Moddable's TCP taking the roles' options: `from` is always a socket a BoardListener returned. */
export class BoardTCP extends TCP {
  constructor(options: TcpOptions) {
    const boardOptions: TCPOptions & { keepalive?: TcpKeepalive } = "from" in options ? { ...options, from: options.from as TCP } : options;
    super(boardOptions);
  }
}

/**
 * Moddable's Listener, with the close() every implementation has. The runtime calls onReadable with the instance
 * as `this`, which is a BoardListener; the instanceof check proves it to the type checker without a cast.
 */
export class BoardListener extends Listener {
  /** Moddable's own (lwip/listener.js), which the typings lack: `declare` states it and emits nothing. */
  declare close: () => void;

  constructor(options: ListenerOptions) {
    // Options are spread, never rebuilt key by key: the native constructors test keys with xsmcHas, so a present
    // `port: undefined` is not the same as no port (lwip/tcp.c xs_listener_constructor).
    const { onReadable, ...rest } = options;
    super(
      onReadable
        ? {
            ...rest,
            onReadable(this: Listener, requests: number) {
              if (this instanceof BoardListener) onReadable.call(this, requests);
            },
          }
        : rest,
    );
  }
}

/** Moddable's UDP, with the close() every implementation has; onReadable and onError as for BoardListener. */
export class BoardUDP extends UDP {
  /** Moddable's own (lwip/udp.js), which the typings lack: `declare` states it and emits nothing. */
  declare close: () => void;

  constructor(options: UdpOptions) {
    const { onReadable, ...rest } = options;
    super(
      onReadable
        ? {
            ...rest,
            onReadable(this: UDP, packets: number) {
              if (this instanceof BoardUDP) onReadable.call(this, packets);
            },
          }
        : rest,
    );
  }
}
