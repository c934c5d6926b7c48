// Runs one of Moddable's own ECMA-419 socket tests (the SDK's tests/modules/io/socket/{tcp,listener,udp}, read from
// the user's SDK, never copied) on either runtime: the same app is built by mcconfig for mcsim and run by
// `linklab run` on the host simulator. The test to run comes from the test run's control server (config `control`,
// host:port on loopback), so one image serves every test and each test gets a fresh machine, as with Moddable's
// testmc. The result is one line: `testmc: <name> pass` or `testmc: <name> fail <reason>`.
import "test262-harness";
import TCP from "embedded:io/socket/tcp";
import config from "mc/config";
import { runTest } from "testmc-globals";

const [address, port] = String(config.control).split(":");
const name = await new Promise((resolve, reject) => {
	let text = "";
	new TCP({
		address,
		port: Number(port),
		onReadable() {
			text += String.fromArrayBuffer(this.read());
			if (!text.includes("\n")) return;
			this.close();
			resolve(text.trim());
		},
		onError() {
			reject(new Error("no control server at " + config.control));
		},
	});
});
const failure = await runTest(name, () => import(name));
trace(`testmc: ${name} ${failure === undefined ? "pass" : "fail " + failure}\n`);
