// linklab firmware entry: wiring only. Reads the settings from mc/config, starts the Wi-Fi link, and runs the
// roles (server, client or both) on it: they stop when the link goes down and start again on the new address.
// A bad config value is logged and the board keeps running whatever it still can.

import Timer from "timer";
import Time from "time";
import WiFi from "wifi";
import Net from "net";
import config from "mc/config";
import { EV, TAG } from "linklab/events";
import { guard, Log } from "linklab/log";
import { CLIENT_KEYS, pick, readSettings, SERVER_KEYS } from "linklab/settings";
import { Link } from "linklab/link";
import { Server } from "linklab/server";
import { Client } from "linklab/client";
import { BeaconListener, BeaconSender } from "linklab/beacon";
import { BoardListener, BoardTCP, BoardUDP } from "linklab/board";
import { addressFrom, boardIdFrom, timersFrom, wifiFrom } from "linklab/adapters";

const clock = () => Time.ticks;
const log = new Log({ clock, sink: (line) => trace(line + "\n"), level: "I" });
const { settings, problems, disabled } = readSettings(config);
log.level = settings.logLevel;
const mainLog = log.tag(TAG.main);
const settingsLog = log.tag(TAG.settings);

/** A bug in a timer callback is logged (callback failed where=timer) instead of aborting XS: linklab/log guard(). */
const timers = timersFrom(Timer, (callback) => guard(mainLog, EV.main.callbackFailed, "timer", callback));
const wifi = wifiFrom(WiFi);
const getAddress = addressFrom(Net);
const id = boardIdFrom(settings.id, Net);
const random = () => Math.random();
const runServer = settings.role !== "client" && !disabled.some((d) => d.part === "server");
const runClient = settings.role !== "server" && !disabled.some((d) => d.part === "client");
mainLog.i(EV.main.booting, { id, role: settings.role, server: runServer, client: runClient, mode: settings.mode, logLevel: settings.logLevel });
for (const p of problems) settingsLog.e(EV.main.badConfig, { key: p.key, value: p.value, allowed: p.allowed, using: p.using });
for (const d of disabled) mainLog.w(EV.main.notRunning, { part: d.part, reason: d.reason });

const link = new Link({ ssid: settings.ssid, password: settings.password }, { wifi, getAddress, timers, clock, log: log.tag(TAG.wifi), random });

if (runServer) {
  const server = new Server(
    { id, logEvery: settings.heartbeatLogEvery, ...pick(settings, SERVER_KEYS) },
    { Listener: BoardListener, TCP: BoardTCP, timers, clock, log: log.tag(TAG.server) },
  );
  const beacon = new BeaconSender(
    { id, tcpPort: () => server.port, beaconMs: settings.beaconMs, beaconPort: settings.beaconPort, beaconAddress: settings.beaconAddress, logEvery: settings.heartbeatLogEvery },
    { UDP: BoardUDP, timers, clock, log: log.tag(TAG.beacon) },
  );
  link.onChange((event) => {
    if (event.up) {
      server.start(event.address);
      beacon.start(event.address);
    } else {
      beacon.stop(event.reason);
      server.stop(event.reason);
    }
  });
}

if (runClient) {
  const client = new Client(
    { id, logEvery: settings.heartbeatLogEvery, ...pick(settings, CLIENT_KEYS) },
    { TCP: BoardTCP, timers, clock, log: log.tag(TAG.client), random, resolve: (host, callback) => Net.resolve(host, (_name, address) => callback(address)) },
  );
  const listener =
    settings.server === "auto"
      ? new BeaconListener({ beaconPort: settings.beaconPort, logEvery: settings.heartbeatLogEvery, beaconAddress: settings.beaconAddress }, { UDP: BoardUDP, clock, log: log.tag(TAG.beacon) }, (heard) =>
          client.offerServer(heard.beacon.id, heard.beacon.ip, heard.beacon.port),
        )
      : undefined;
  link.onChange((event) => {
    if (event.up) {
      listener?.start();
      client.linkUp(event.address);
    } else {
      listener?.stop();
      client.linkDown(event.reason);
    }
  });
  client.start();
}

link.start();
