// Mocha's spec reporter, plus the plain closing line CI counts: "N passed, N failed" (", N skipped" when any).
const Mocha = require("mocha");
const { Spec } = Mocha.reporters;

class LinklabReporter extends Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const { passes, failures, pending } = this.stats;
      const skipped = pending ? `, ${pending} skipped` : "";
      process.stdout.write(`\n${passes} passed, ${failures} failed${skipped}\n`);
    });
  }
}
module.exports = LinklabReporter;
