// What the Moddable SDK 8.2.3 runtime provides but @moddable/typings 5.6.0 does not declare.
// The typings' UDP and Listener classes are not exported by name, so they cannot be augmented: this file declares
// those two modules whole (copied from @moddable/typings 5.6.0, plus close()), and tsconfig.json leaves the
// typings' own udp.d.ts and listener.d.ts out. Checked against modules/io/socket/lwip/{udp,listener}.js.

declare module "embedded:io/socket/udp" {
  import type { Buffer } from "embedded:io/_common";
  class UDP {
    constructor(options: {
      port?: number;
      address?: string;
      onReadable?: (this: UDP, packets: number) => void;
      onError?: () => void;
      format?: "buffer";
      target?: any;
    } & ({} | {
      multicast: string;
      timeToLive: number;
    }))
    write(buffer: Buffer, address: string, port: number): void;
    read(): ArrayBuffer & {
      address: string;
      port: number;
    };
    read(buffer: Buffer): void;
    /** lwip/udp.js close(): releases the pcb; idempotent. */
    close(): void;
    get format(): "buffer"
    set format(value: "buffer")
  }
  export default UDP
}

declare module "embedded:io/socket/listener" {
  import TCP from "embedded:io/socket/tcp"
  class Listener {
    constructor(options: {
      port?: number;
      address?: string;
      onReadable?: (this: Listener, requests: number) => void;
      format?: "socket/tcp";
      target?: any;
    })
    read(): TCP | undefined
    /** lwip/listener.js close(): stops listening; idempotent. */
    close(): void;
    get format(): "socket/tcp"
    set format(value: "socket/tcp")
    readonly port: number;
  }
  export default Listener;
}

/**
 * TCP keep-alive as Moddable's older `socket` module spells it (modSocket.c configureSocketTCP: enable, idle,
 * interval, count; lwIP's keep_idle/keep_intvl are milliseconds). The ECMA-419 TCP on lwIP ignores it today; the
 * simulator honours it. Build the options in a variable of type `Options & {keepalive?: LinklabTCPKeepalive}` so
 * the strict Options check still applies to every other field.
 */
type LinklabTCPKeepalive = {
  enable: boolean;
  idle?: number;
  interval?: number;
  count?: number;
};
