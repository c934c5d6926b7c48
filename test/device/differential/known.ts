// The differences between real XS on Moddable's Linux runtime (lin) and the host runtime that the differential
// suite accepts, each with why and how it was checked. In every one, the host runtime does what the ESP32 does
// (Moddable's lwIP sockets, modules/io/socket/lwip/*.c, and modules/base/time/esp/modTime.c, SDK 8.2.3), because
// the board is the judge and lin is only our proxy for it. `lin` or `host` undefined: that side has no such line.
// Each `why` names the lines of the SDK's source that decide it; docs/simulator.md lists the same differences.
export type KnownDifference = {
  case: string;
  lin: string | undefined;
  host: string | undefined;
  why: string;
};

export const known: KnownDifference[] = [
  {
    case: "tcp-connect",
    lin: "connected: first callback writable with 1536 bytes writable",
    host: "connected: first callback writable with 8192 bytes writable",
    why: "lin's tcp.c reports its own 1536-byte buffer (kBufferSize); lwIP reports tcp_sndbuf, TCP_SND_BUF = CONFIG_LWIP_TCP_SND_BUF_DEFAULT 8192 in the esp32 sdkconfig.defaults",
  },

  {
    case: "tcp-write",
    lin: 'write before connected: throws Error "would block"',
    host: 'write before connected: throws Error "not ready"',
    why: "lin has 0 bytes writable until connected, so 'would block'; lwip/tcp.c xs_tcp_write throws 'not ready' while tcp->ready is false (set only in the connected callback)",
  },
  {
    case: "tcp-peer-close",
    lin: "after reading, onError: not called within 1000 ms",
    host: "after reading, onError: called once",
    why: "lin's tcpTask returns early once tcp->error is set, so the error read() triggers is never reported; lwip/tcp.c reports it from tcpDeliver once the last buffer is read",
  },
  {
    case: "tcp-peer-close",
    lin: "write after the peer's FIN was reported: returned 1535",
    host: `write after the peer's FIN was reported: throws Error "not ready"`,
    why: "lin writes to the half-closed socket; lwip/tcp.c clears tcp->ready when it reports the error, and write() then throws 'not ready'",
  },
  {
    case: "tcp-close",
    lin: 'close() with received data unread: peer sees {"end":"FIN","data":""}',
    host: 'close() with received data unread: peer sees {"end":"RST","data":""}',
    why: "lin has already read the bytes out of the kernel into its own buffer, so close() sends FIN; lwIP's tcp_close sends RST when the pcb holds data the app never took (RFC 1122, Closing a Connection)",
  },
  {
    case: "listener-bind",
    lin: 'a second Listener on the same port: throws Error "bind socket failed"',
    host: 'a second Listener on the same port: throws Error "socket bind"',
    why: "the messages differ: lin's tcp.c says 'bind socket failed', lwip/tcp.c 'socket bind'. (On lin the failed listener's poll task is left running on freed memory, and mcsim dies soon after: a busy port crashes lin, not the board)",
  },
  {
    case: "udp",
    lin: 'write to "board-3": throws Error',
    host: 'write to "board-3": throws RangeError',
    why: "lin's udp.c passes the string to inet_addr and fails in sendto ('sendto failed'); lwip/udp.c throws RangeError 'invalid IP address'",
  },
  {
    case: "time",
    lin: "Time.ticks counts from boot (under 60 s here): false",
    host: "Time.ticks counts from boot (under 60 s here): true",
    why: "lin's modTime.c returns wall-clock milliseconds since 1970; esp/modTime.c returns modMilliseconds(), milliseconds since boot",
  },
  {
    case: "time",
    lin: "Time.delta across the 32-bit rollover (0x7ffffff0 to -0x7ffffff0): -4294967264",
    host: "Time.delta across the 32-bit rollover (0x7ffffff0 to -0x7ffffff0): 32",
    why: "lin's xs_time_delta subtracts doubles; esp/modTime.c subtracts uint32_t, so the board's ticks wrap after 2^32 ms",
  },
  {
    case: "time",
    lin: "Time.microseconds is an integer: false",
    host: "Time.microseconds is an integer: true",
    why: "Time.microseconds comes from modules/base/microseconds, which has no lin implementation (undefined there); on the ESP32 it is esp_timer_get_time(), integer µs since boot",
  },
  {
    case: "time",
    lin: "Time.microseconds / 1000 is within 50 of Time.ticks: false",
    host: "Time.microseconds / 1000 is within 50 of Time.ticks: true",
    why: "as above: no Time.microseconds on lin",
  },
];
