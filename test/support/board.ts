// Mocha hooks for tests that use the host runtime in-process: give the board a known identity before each test,
// and afterwards release every socket and timer the test left (board.closeAll) and bring the Wi-Fi link back.
import { board, type BoardIdentity } from "../../host-sim/runtime/board.ts";
import { station } from "../../host-sim/runtime/station.ts";
import { installGlobals } from "../../host-sim/runtime/globals.ts";

export const defaultIdentity: BoardIdentity = { id: "test", address: "127.0.0.1", peers: ["127.0.0.1"], netmask: "255.0.0.0" };

/** Reset the simulated board around each test of the current `describe`. */
export function useBoard(identity: Partial<BoardIdentity> = {}): void {
  beforeEach(() => {
    installGlobals();
    board.identity = { ...defaultIdentity, ...identity };
  });
  afterEach(() => {
    board.closeAll();
    station.boot();
    board.command({ type: "udp-loss", percent: 0 });
    board.identity = { ...defaultIdentity };
  });
}
