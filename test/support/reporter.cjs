// Mocha's spec reporter, plus the plain closing line CI counts: "N passed, N failed", always the last line (skipped
// tests, when any, are counted on the line before it).
const Mocha = require("mocha");
const { Spec } = Mocha.reporters;

class LinklabReporter extends Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const { passes, failures, pending } = this.stats;
      const skipped = pending ? `${pending} skipped\n` : "";
      process.stdout.write(`\n${skipped}${passes} passed, ${failures} failed\n`);
    });
  }
}
module.exports = LinklabReporter;
