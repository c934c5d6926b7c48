// ESLint over the whole repository with eslint.config.js (what `npm run lint` runs): typescript-eslint's type-aware
// recommended rules on the firmware and the host code, ESLint's recommended rules on the plain JavaScript. No
// problem of any rule in any file passes; each one is printed as file:line:column rule message.
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { ESLint, Linter } from "eslint";
import tseslint from "typescript-eslint";

const repoDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

describe("lint (eslint.config.js)", function () {
  this.timeout(180_000);

  it("finds no problem in main.ts, modules/, host-sim/, test/ and bench/", async () => {
    const results = await new ESLint({ cwd: repoDir }).lintFiles(["."]);
    const problems = results.flatMap((result) =>
      result.messages.map((m) => `${relative(repoDir, result.filePath)}:${m.line}:${m.column} ${m.ruleId ?? "(fatal)"} ${m.message}`),
    );
    assert.ok(results.length > 100, `linted ${results.length} files`);
    assert.ok(problems.length === 0, `${problems.length} problems:\n${problems.join("\n")}`);
  });

  describe("a firmware file importing Node modules", () => {
    /** Lints `code` as a firmware file, with the import rule exactly as eslint.config.js sets it for modules/. */
    async function importProblems(code: string, file = "modules/probe.ts"): Promise<string[]> {
      const config = (await new ESLint({ cwd: repoDir }).calculateConfigForFile(join(repoDir, file))) as Linter.Config;
      const rule = config.rules?.["no-restricted-imports"];
      const severity = Array.isArray(rule) ? rule[0] : rule;
      if (severity === undefined || severity === "off" || severity === 0) return [];
      const linter = new Linter({ configType: "flat" });
      const messages = linter.verify(code, [{ files: ["**/*.ts"], languageOptions: { parser: tseslint.parser }, rules: { "no-restricted-imports": rule } }], join(repoDir, file));
      return messages.map((m) => `${m.line}: ${m.message}`);
    }

    for (const code of [
      `import net from "node:net";`,
      `import { readFileSync } from "fs";`,
      `import { readFile } from "fs/promises";`,
      `import type { Socket } from "dgram";`,
      `export { spawn } from "child_process";`,
      `import "node:test";`,
    ]) {
      it(`fails: ${code}`, async () => {
        const problems = await importProblems(code);
        assert.equal(problems.length, 1, problems.join("\n") || "no problem");
        assert.match(problems[0], /Firmware runs on XS/);
      });
    }

    it("passes Moddable module names (net, timer, embedded:*, mc/config) and linklab/*", async () => {
      const code = [
        `import Net from "net";`,
        `import Timer from "timer";`,
        `import TCP from "embedded:io/socket/tcp";`,
        `import config from "mc/config";`,
        `import { Log } from "linklab/log";`,
      ].join("\n");
      assert.deepEqual(await importProblems(code), []);
    });

    it("applies to main.ts and modules/, not to the host code", async () => {
      assert.equal((await importProblems(`import net from "node:net";`, "main.ts")).length, 1);
      assert.deepEqual(await importProblems(`import net from "node:net";`, "host-sim/runtime/probe.ts"), []);
    });
  });
});
