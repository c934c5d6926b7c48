// The one place where a board carries out the commands the lab controller (over IPC) or a test sends it
// (`board.command`, BoardCommand in board.ts). Each case hands the command to the module that owns its effect: the
// Wi-Fi station (station.ts), the network between the boards (shaping.ts: blackhole, latency, UDP loss, the idle
// firewall, injected RSTs, forgetful peers), the board's identity (board.ts) and its BOOT button (digital.ts).
// Loaded by every runtime module a command can act on (gate.ts, udp.ts, wifi.ts, net.ts, digital.ts).
import { board, type BoardCommand } from "./board.ts";
import { pressButton } from "./digital.ts";
import { forgetPeers, injectReset, setBlackhole, setIdleFirewall, setLatency, setUdpLoss } from "./shaping.ts";
import { station } from "./station.ts";

function dispatch(command: BoardCommand): void {
  switch (command.type) {
    case "wifi":
      if (command.up) station.apBack(command.address);
      else station.apLost();
      break;
    case "blackhole":
      setBlackhole(command.addresses);
      break;
    case "latency":
      setLatency(command.latencyMs, command.jitterMs, command.seed);
      break;
    case "udp-loss":
      setUdpLoss(command.percent, command.seed);
      break;
    case "idle-firewall":
      setIdleFirewall(command.idleMs);
      break;
    case "reset":
      injectReset(command.addresses);
      break;
    case "forget":
      forgetPeers(command.addresses);
      break;
    case "peers":
      board.identity = { ...board.identity, peers: command.peers };
      break;
    case "button":
      pressButton(command.ms);
      break;
    default: {
      // A command this runtime does not know (a newer lab, a bad IPC message) is refused in one line, not a crash.
      const unknown: never = command;
      process.stderr.write(`linklab: unknown board command ${JSON.stringify(unknown)}\n`);
    }
  }
}

board.handleCommands(dispatch);
