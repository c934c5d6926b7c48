// A callback that catches its own exception does not abort the machine.
import Timer from "timer";

export default async function (peer, say) {
	await new Promise((resolve) =>
		Timer.set(() => {
			try {
				throw new Error("handled");
			} catch {
				say("caught in the timer callback");
			}
			resolve();
		}, 1),
	);
}
