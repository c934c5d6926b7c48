// embedded:io/digital for Moddable's desktop runtime (lin), bound by manifest.json's "lin" platform: the SDK has no
// digital IO for lin (modules/io/digital has esp, esp32, nrf52, pico and zephyr only), and a desktop has no GPIO.
// The same shape as digital.js over a digitalbank, with nothing on the pins: an input reads its pull (up: 1, else
// 0) and never changes, so onReadable is never called; an output keeps what was written. It lets main.ts import
// embedded:io/digital on every platform; on lin the BOOT button is simply never pressed.

const INPUT = 0;
const INPUT_PULL_UP = 1;
const INPUT_PULL_UP_DOWN = 3;
const OUTPUT = 8;
const OUTPUT_OPEN_DRAIN = 9;

class Digital {
	#level;
	#input;
	constructor(options) {
		let pin = options?.pin;
		if (undefined === pin) throw new Error("invalid");
		if (undefined !== pin.pin) pin = pin.pin;
		if (!Number.isInteger(pin) || pin < 0) throw new Error("invalid pin");
		const mode = options.mode;
		this.#input = mode >= INPUT && mode <= INPUT_PULL_UP_DOWN;
		if (!this.#input && mode !== OUTPUT && mode !== OUTPUT_OPEN_DRAIN) throw new RangeError("invalid mode");
		if (this.#input && options.onReadable && !((options.edge ?? 0) & 3)) throw new RangeError("invalid edges");
		this.#level = mode === INPUT_PULL_UP ? 1 : 0;
		if ("target" in options) this.target = options.target;
	}
	read() {
		return this.#level;
	}
	write(value) {
		if (this.#input) throw new Error("can't write input");
		this.#level = Number(value) ? 1 : 0;
	}
	close() {}
	get format() {
		return "number";
	}
	set format(value) {
		if ("number" !== value) throw new RangeError("invalid format");
	}
}
Digital.Input = INPUT;
Digital.InputPullUp = INPUT_PULL_UP;
Digital.InputPullDown = 2;
Digital.InputPullUpDown = INPUT_PULL_UP_DOWN;
Digital.Output = OUTPUT;
Digital.OutputOpenDrain = OUTPUT_OPEN_DRAIN;
Digital.Rising = 1;
Digital.Falling = 2;

export default Digital;
