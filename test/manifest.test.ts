// The manifest check CI runs without the Moddable SDK: manifest.json parses, the files it names exist, every module
// the firmware imports at run time would link under `mcconfig -m -p esp32` (our own, or provided on esp32 by an SDK
// manifest that manifest.json includes; list in host-sim/moddable/esp32-modules.ts), and every config key the
// firmware reads has a default in manifest.json "config".
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import ts from "typescript";
import { appModulePath } from "../host-sim/loader.mjs";
import { defaultSettings } from "../modules/settings.ts";
import { esp32Manifests, manifestsProviding, modulesFromIncludes, sdkPath, sdkRelease } from "../host-sim/moddable/esp32-modules.ts";
import { mcconfigCompilerOptions, repoDir } from "../host-sim/harness/xs.ts";

type Manifest = {
  include?: string | string[];
  modules?: Record<string, string | string[]>;
  config?: Record<string, unknown>;
  platforms?: Record<string, { include?: string | string[]; modules?: Record<string, string | string[]>; error?: string }>;
};

const manifestPath = join(repoDir, "manifest.json");

function readManifest(): Manifest {
  return JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest;
}

/** main.ts and modules/*.ts. */
function firmwareFiles(): string[] {
  const modules = readdirSync(join(repoDir, "modules"))
    .filter((name) => name.endsWith(".ts") && !name.endsWith(".d.ts"))
    .map((name) => join(repoDir, "modules", name));
  return [join(repoDir, "main.ts"), ...modules];
}

/** The specifiers a file imports at run time: what is left after TypeScript drops type-only imports, as mcconfig's tsc does. */
function runtimeImports(file: string): string[] {
  const js = ts.transpileModule(readFileSync(file, "utf8"), { compilerOptions: mcconfigCompilerOptions, fileName: file }).outputText;
  const source = ts.createSourceFile(file + ".js", js, ts.ScriptTarget.ES2025, true, ts.ScriptKind.JS);
  const found: string[] = [];
  for (const statement of source.statements) {
    if ((ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) && statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier))
      found.push(statement.moduleSpecifier.text);
  }
  return found;
}

/** Module entries of the top level and of the esp32 platform section, whose paths are in this repository. */
function localModuleEntries(manifest: Manifest): [string, string][] {
  const sections = [manifest.modules ?? {}, manifest.platforms?.esp32?.modules ?? {}];
  return sections.flatMap((modules) =>
    Object.entries(modules).flatMap(([name, value]) => [value].flat().filter((path) => !path.includes("$(")).map((path): [string, string] => [name, path])),
  );
}

function includesFor(manifest: Manifest): string[] {
  return [manifest.include ?? [], manifest.platforms?.esp32?.include ?? []].flat();
}

describe("manifest.json", function () {
  this.timeout(20_000);

  it("parses as JSON with modules, config and an esp32 platform section", () => {
    const manifest = readManifest();
    assert.equal(typeof manifest.modules, "object");
    assert.equal(typeof manifest.config, "object");
    assert.ok(manifest.platforms?.esp32, "platforms.esp32");
    assert.equal(manifest.platforms.esp32.error, undefined);
  });

  it(`includes only SDK ${sdkRelease} manifests that exist and build for esp32`, () => {
    const problems = includesFor(readManifest()).flatMap((include) => {
      const path = sdkPath(include);
      if (path === undefined) return [`${include}: not a $(MODDABLE)/$(MODULES)/$(BUILD) path`];
      return path in esp32Manifests ? [] : [`${include}: no such manifest for esp32 in SDK ${sdkRelease}`];
    });
    assert.deepEqual(problems, []);
  });

  it("names only module files that exist in this repository", () => {
    const problems: string[] = [];
    for (const [name, path] of localModuleEntries(readManifest())) {
      const base = join(repoDir, path);
      if (base.endsWith("*")) {
        const dir = dirname(base);
        const any = existsSync(dir) && readdirSync(dir).some((file) => /\.(ts|js)$/.test(file) && !file.endsWith(".d.ts"));
        if (!any) problems.push(`${name}: ${path} matches no .ts or .js file`);
      } else if (![".ts", ".js"].some((ext) => existsSync(base + ext))) {
        problems.push(`${name}: ${path}.ts does not exist`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it("provides every module the firmware imports: linklab/* from modules/, the rest from the SDK manifests it includes on esp32", () => {
    const manifest = readManifest();
    const provided = modulesFromIncludes(includesFor(manifest));
    const problems: string[] = [];
    for (const file of firmwareFiles()) {
      const who = file.slice(repoDir.length + 1);
      for (const specifier of runtimeImports(file)) {
        if (specifier.startsWith("linklab/")) {
          if (!appModulePath(specifier, dirname(file))) problems.push(`${who} imports ${specifier}, which is not in modules/`);
        } else if (!provided.has(specifier)) {
          const from = manifestsProviding(specifier);
          problems.push(
            from.length
              ? `${who} imports ${specifier}: on esp32 it comes from $(MODDABLE)/${from[0]}, which manifest.json does not include`
              : `${who} imports ${specifier}, which the Moddable SDK ${sdkRelease} does not provide on esp32`,
          );
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  it("has a default in config for every key the firmware reads", () => {
    const config = readManifest().config ?? {};
    const keys = new Set(Object.keys(defaultSettings()));
    for (const file of firmwareFiles()) {
      const text = readFileSync(file, "utf8");
      for (const match of text.matchAll(/\bconfig\.([A-Za-z_$][\w$]*)/g)) keys.add(match[1]);
      for (const match of text.matchAll(/\bconfig\[\s*["']([^"']+)["']\s*\]/g)) keys.add(match[1]);
    }
    // settings.ts reads each key through int("key", ...) / str("key", ...)
    for (const match of readFileSync(join(repoDir, "modules", "settings.ts"), "utf8").matchAll(/\b(?:int|str)\(\s*"([^"]+)"/g)) keys.add(match[1]);
    const missing = [...keys].filter((key) => !(key in config)).sort();
    assert.deepEqual(missing, []);
  });

  it("gives each setting the same default that modules/settings.ts falls back to", () => {
    const config = readManifest().config ?? {};
    const defaults = defaultSettings() as Record<string, unknown>;
    const differing = Object.keys(defaults)
      .filter((key) => key in config && config[key] !== defaults[key])
      .map((key) => `${key}: manifest ${JSON.stringify(config[key])}, settings.ts ${JSON.stringify(defaults[key])}`);
    assert.deepEqual(differing, []);
  });
});
