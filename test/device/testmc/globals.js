// The globals Moddable's test harness (tools/testmc/main.js) gives a test, rebuilt small for a loopback-only
// machine: $DONE and $DO end the current test, $TESTMC.timeout bounds it, $NETWORK is "connected" at once and
// resolves www.example.com and pool.ntp.org to 127.0.0.1 (where the test run serves HTTP on port 80 and SNTP
// on UDP port 123). Host objects, which only
// native code can make, come from testmc-host-objects (the SDK's tools/testmc/hosttest.c on XS).
import Timer from "timer";
import { HostObject, HostObjectChunk, HostBuffer } from "testmc-host-objects";

let current;

globalThis.$DONE = function (error) {
	if (!current) return;
	const finish = current.finish;
	current = undefined;
	finish(error === undefined ? undefined : String(error?.message ?? error));
};
globalThis.$DO = function (f) {
	return function (...args) {
		try {
			f(...args);
			$DONE();
		} catch (e) {
			$DONE(e);
		}
	};
};
globalThis.$NETWORK = Object.freeze({
	connected: Promise.resolve(),
	async resolve(domain) {
		if (domain === "www.example.com" || domain === "pool.ntp.org") return "127.0.0.1";
		throw new Error("no such host " + domain);
	},
	invalidDomain: "fail.moddable.com",
});
globalThis.$TESTMC = Object.freeze({
	timeout(ms, message = "timeout") {
		current?.timers.push(Timer.set(() => $DONE(message), ms));
	},
	HostObject,
	HostObjectChunk,
	HostBuffer,
	wifiConnectionTimeout: 20_000,
});

/** Run one test module; resolves with undefined (passed) or the reason it failed. At most 10 s per test. */
export function runTest(name, load) {
	return new Promise((resolve) => {
		const test = {
			timers: [],
			finish(failure) {
				for (const timer of test.timers) Timer.clear(timer);
				resolve(failure);
			},
		};
		current = test;
		test.timers.push(Timer.set(() => current === test && $DONE("no $DONE within 10 s"), 10_000));
		load().then(
			() => {},
			(error) => current === test && $DONE(error),
		);
	});
}
