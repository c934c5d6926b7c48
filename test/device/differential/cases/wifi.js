// The wifi module's connect sequence (test/runtime/wifi.test.ts, first case). lin's wifi is Moddable's simulated
// one (modules/network/wifi/sim); the faults the simulator drives into Wi-Fi have no counterpart there.
import WiFi from "wifi";
import { Events } from "peer";

export default async function (peer, say) {
	const events = new Events();
	const wifi = new WiFi({ ssid: "lab", password: "secret" }, events.on("notify"));
	say(`new WiFi({ssid, password}): ${(await events.wait("notify", 1, 5000))[0]}, then ${(await events.wait("notify", 2, 5000))[0]}`);
	wifi.close();
}
