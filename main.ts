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
import { parseLogTo, SyslogSender, tapSyslog } from "linklab/syslog";
import Digital from "embedded:io/digital";
import { startBootButton } from "linklab/button";

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
// logTo: each line also goes out as one UDP syslog datagram (linklab/syslog); off when empty.
const logTo = parseLogTo(settings.logTo);
if (logTo) tapSyslog(log, new SyslogSender({ ...logTo, hostname: id }, { UDP: BoardUDP, wallClock: () => Date.now() }), mainLog);
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
    { id, tcpPort: () => server.port, beaconMs: settings.beaconMs, beaconPort: settings.beaconPort, beaconAddress: settings.beaconAddress, logEvery: settings.heartbeatLogEvery, group: settings.group },
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
      ? new BeaconListener({ beaconPort: settings.beaconPort, logEvery: settings.heartbeatLogEvery, beaconAddress: settings.beaconAddress, group: settings.group }, { UDP: BoardUDP, clock, log: log.tag(TAG.beacon) }, (heard) =>
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

// The BOOT button (GPIO 0) as a bench trigger: short press = Wi-Fi drop, long press = power cut (linklab/button).
// System is what the ESP32's preloaded io "system" module sets (restart = esp_restart); lin and the simulator have
// none, and the board then rejoins instead of restarting.
const System = (globalThis as { System?: { restart?: () => void } }).System;
startBootButton(Digital, { dropMs: settings.buttonDropS * 1000, offMs: settings.buttonOffS * 1000 }, { clock, timers, log: log.tag(TAG.button) }, {
  dropWifi: (forMs) => link.drop(forMs),
  restart: System?.restart ? () => System.restart?.() : undefined,
});

link.start();
