// The board's Wi-Fi station: associated with an address or not, and what that does to the TCP connections bound to
// the board (lwIP's netif). The only owner of that state: the `wifi` module (the app's side), the lab's board
// commands (the access point's side, through commands.ts) and the sockets read it through the getters below, and
// every change of the link goes through #enter.
//
// Boards boot with the link up, as Moddable's setup/network associates before main runs when an ssid is configured.
// Events: "down"; "up" (address, previous address); "ap-up" (the access point is back while the app drives the
// station with the `wifi` module, so only WiFi.connect() may bring the link back).
import { EventEmitter } from "node:events";
import { board } from "./board.ts";

/**
 * ESP-IDF's CONFIG_LWIP_TCP_KEEP_CONNECTION_WHEN_IP_CHANGES. Moddable's esp32 sdkconfig leaves it at the ESP-IDF
 * default (off): when Wi-Fi drops, esp_netif_down sets the address to 0.0.0.0 and lwIP aborts every TCP pcb bound
 * to the old address (tcp_netif_ip_addr_changed). Set true to model a build that keeps them (traffic held instead).
 */
export const policy = { keepConnectionsWhenIpChanges: false };

/** What the station needs of a connection bound to it (runtime/gate.ts's Gate). */
export interface BoundConnection {
  readonly localAddress: string | undefined;
  readonly severed: boolean;
  hold(reason: string): void;
  release(reason: string): void;
  /** lwIP aborted the pcb and its RST cannot leave the board (gate.ts). */
  sever(): void;
}

type Link = { up: false } | { up: true; address: string };

class Station extends EventEmitter {
  #up = true;
  /** The access point is reachable (the lab's {type:"wifi"} command). */
  #apUp = true;
  /** The app drives the station through the `wifi` module; then only WiFi.connect() brings the link back. */
  #managed = false;
  /** The address DHCP hands out on the next association (the lab may change it). */
  #nextAddress: string | undefined;
  /** SSID of the access point the station is (or was last) associated with. */
  #ssid = "";
  readonly #connections = new Set<BoundConnection>();

  /** Associated with an IP address. */
  get up(): boolean {
    return this.#up;
  }

  get apUp(): boolean {
    return this.#apUp;
  }

  get managed(): boolean {
    return this.#managed;
  }

  /** The access point's name: the SSID the station asked for, else the board's `ssid` config, else "linklab". */
  get apSsid(): string {
    const configured = board.config.ssid;
    return this.#ssid || (typeof configured === "string" && configured) || "linklab";
  }

  /** A new connection is bound to the station's address: held while the link is down. Unbound when it closes. */
  bind(connection: BoundConnection): () => void {
    this.#connections.add(connection);
    if (!this.#up) connection.hold("wifi");
    return () => this.#connections.delete(connection);
  }

  /** The app takes the station over (WiFi.connect, WiFi.mode), asking for `ssid` if given. */
  manage(ssid?: string): void {
    this.#managed = true;
    if (ssid !== undefined) this.#ssid = ssid;
  }

  /** The station leaves (the app disconnects or turns Wi-Fi off, the 4-way handshake fails). */
  leave(): void {
    this.#enter({ up: false });
  }

  /** Association and DHCP finished: the link is up at the address DHCP gave (by default the one it had). */
  join(): void {
    const address = this.#nextAddress ?? board.identity.address;
    this.#nextAddress = undefined;
    this.#enter({ up: true, address });
  }

  /** The access point goes away (a Wi-Fi drop, a router reboot). */
  apLost(): void {
    this.#apUp = false;
    this.#enter({ up: false });
  }

  /**
   * The access point is back, handing out `address` (default: the board's). A station the app drives waits for
   * WiFi.connect(); otherwise (setup/network's own station) it associates again at once.
   */
  apBack(address?: string): void {
    this.#apUp = true;
    this.#nextAddress = address;
    if (this.#managed) this.emit("ap-up");
    else this.join();
  }

  /** The station as at boot: access point up, link up, not driven by the app (for tests between cases). */
  boot(): void {
    this.#managed = false;
    this.#ssid = "";
    policy.keepConnectionsWhenIpChanges = false;
    this.apBack();
  }

  /** The one transition of the link. Down: lwIP aborts the connections (or holds them, by policy). Up: those bound
   *  to another address die, the rest flow again. */
  #enter(next: Link): void {
    if (!next.up) {
      if (!this.#up) return;
      this.#up = false;
      for (const connection of [...this.#connections]) {
        connection.hold("wifi");
        if (!policy.keepConnectionsWhenIpChanges) connection.sever();
      }
      this.emit("down");
      return;
    }
    const previous = board.identity.address;
    if (this.#up && next.address === previous) return;
    if (next.address !== previous) board.identity = { ...board.identity, address: next.address };
    this.#up = true;
    for (const connection of [...this.#connections]) {
      if (!connection.severed && connection.localAddress !== next.address) connection.sever();
    }
    this.emit("up", next.address, previous);
    for (const connection of [...this.#connections]) connection.release("wifi");
  }
}

/** The station of the board this process simulates. */
export const station = new Station();
