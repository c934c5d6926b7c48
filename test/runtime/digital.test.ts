// embedded:io/digital on the host runtime (host-sim/runtime/digital.ts), after Moddable SDK 8.2.3's
// modules/io/digital/digital.js and esp32/digitalbank.c: the constructor's checks, the BOOT button on GPIO 0 that
// the lab presses with the board command {type:"button", ms}, edges reported through onReadable, and close().
import assert from "node:assert/strict";
import { board } from "../../host-sim/runtime/board.ts";
import "../../host-sim/runtime/commands.ts";
import Digital, { releaseButton } from "../../host-sim/runtime/digital.ts";
import { useBoard } from "../support/board.ts";
import { Recorder } from "../support/wait.ts";

describe("embedded:io/digital (host runtime)", () => {
  useBoard();
  afterEach(() => releaseButton());

  it("has the ECMA-419 constants of digital.js", () => {
    assert.deepEqual(
      [Digital.Input, Digital.InputPullUp, Digital.InputPullDown, Digital.InputPullUpDown, Digital.Output, Digital.OutputOpenDrain, Digital.Rising, Digital.Falling],
      [0, 1, 2, 3, 8, 9, 1, 2],
    );
  });

  it("refuses what digitalbank.c refuses: no pin, a pin the ESP32 lacks, a pin in use, a bad mode, no edges, output on an input-only pin", () => {
    assert.throws(() => new Digital({} as never), /^Error: invalid$/);
    assert.throws(() => new Digital({ pin: 20, mode: Digital.Input }), /^Error: invalid pin$/);
    assert.throws(() => new Digital({ pin: 40, mode: Digital.Input }), /^Error: invalid pin$/);
    const taken = new Digital({ pin: 4, mode: Digital.Input });
    assert.throws(() => new Digital({ pin: 4, mode: Digital.Input }), /^Error: in use$/);
    taken.close();
    assert.throws(() => new Digital({ pin: 4, mode: 5 }), /^RangeError: invalid mode$/);
    assert.throws(() => new Digital({ pin: 4, mode: Digital.Input, onReadable() {} }), /^RangeError: invalid edges$/);
    assert.throws(() => new Digital({ pin: 35, mode: Digital.Output }), /^RangeError: input only$/);
  });

  it("reads the BOOT button high while released and low while the lab holds it, with an onReadable per edge", async () => {
    const events = new Recorder();
    const button = new Digital({
      pin: 0,
      mode: Digital.InputPullUp,
      edge: Digital.Rising | Digital.Falling,
      onReadable(this: Digital) {
        events.record("edge", this.read());
      },
    });
    assert.equal(button.read(), 1);
    board.command({ type: "button", ms: 50 });
    assert.deepEqual(await events.next("edge"), [0], "pressed: low");
    assert.deepEqual(await events.next("edge"), [1], "released after 50 ms: high");
    button.close();
  });

  it("reports only the edges it watches", async () => {
    const events = new Recorder();
    const button = new Digital({
      pin: 0,
      mode: Digital.InputPullUp,
      edge: Digital.Rising,
      onReadable(this: Digital) {
        events.record("edge", this.read());
      },
    });
    board.command({ type: "button", ms: 20 });
    assert.deepEqual(await events.next("edge"), [1], "the first call is the rise: the fall was not reported");
    assert.equal(events.count("edge"), 1);
    button.close();
  });

  it("keeps an output's level, refuses to write an input, and throws after close() (close again is harmless)", () => {
    const led = new Digital({ pin: 2, mode: Digital.Output });
    led.write(1);
    assert.equal(led.read(), 1);
    const input = new Digital({ pin: 5, mode: Digital.InputPullDown });
    assert.equal(input.read(), 0);
    assert.throws(() => input.write(1), /can't write input/);
    led.close();
    led.close();
    assert.throws(() => led.read(), SyntaxError);
    input.close();
  });

  it("registers a closer on the board, so a board shutting down frees the pin", () => {
    new Digital({ pin: 0, mode: Digital.InputPullUp });
    board.closeAll();
    new Digital({ pin: 0, mode: Digital.InputPullUp }).close();
  });
});
