// Types of host-sim/loader.mjs (plain JavaScript, loaded by Node as module hooks), for the TypeScript that imports
// it: the harness and the tests use its manifest seam.
import type { LoadHook, ResolveHook } from "node:module";

/** Moddable module specifier -> host-sim implementation (relative to host-sim/). */
export declare const moddableModules: Readonly<Record<string, string>>;

/** Where an app module name lives according to the manifest nearest to the importer, or undefined. */
export declare function appModulePath(specifier: string, importerDir: string): string | undefined;

export declare const resolve: ResolveHook;
export declare const load: LoadHook;
