/** Types of build.mjs for the TypeScript that imports it (tests, bench). */
export interface BuildClientOptions {
  /** Where `dist/` and `miniprogram_dist/` go. Default: the package directory. */
  outDir?: string;
  /** Default false: bundlers and WeChat DevTools minify on their own. */
  minify?: boolean;
  /** Emit `dist/types` with tsc. Default true. */
  types?: boolean;
}

export function buildClient(options?: BuildClientOptions): Promise<{
  esmDir: string;
  cjsDir: string;
  miniprogramFile: string;
  typesDir: string | undefined;
}>;
