// An exception escaping a timer callback aborts the machine (test/runtime/abort.test.ts).
import Timer from "timer";

export default async function (peer, say) {
	Timer.set(() => {
		throw new Error("boom in timer");
	}, 1);
	Timer.set(() => say("still running"), 300);
	await new Promise((resolve) => Timer.set(resolve, 600));
}
