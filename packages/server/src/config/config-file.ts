/**
 * `hutong.config.json` (or `.ts`/`.js`/`.mjs` with a default export): the same settings as the
 * environment, nested. One table (`config-keys.ts`) says where each file key lives in the
 * environment; the file's JSON Schema and its checks are built from it, and `loadConfig` checks the
 * values, so a file and the environment can never mean different things. The environment wins
 * over the file, setting by setting, whichever form (`x` or `xFile`, `HUTONG_X` or `HUTONG_X_FILE`)
 * each uses.
 */
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Kind, type TObject, type TSchema, Type } from '@sinclair/typebox';
import { type ConfigDefaults, checkEnv, type HutongConfig } from './config.js';
import { ConfigError, type ConfigWarning, throwIfAny } from './config-error.js';
import { configKeys, fileKeyOf, type Leaf } from './config-keys.js';
import { didYouMean } from './did-you-mean.js';
import type { Env } from './env-reader.js';

export { configKeys } from './config-keys.js';
export { describeConfig } from './describe.js';

const leafSchema = (leaf: Leaf, description: string): TSchema => {
  switch (leaf) {
    case 'string':
      return Type.String({ description });
    case 'integer':
      return Type.Integer({ minimum: 0, description });
    case 'boolean':
      return Type.Boolean({ description });
    case 'integers':
      return Type.Array(Type.Integer({ minimum: 0 }), { maxItems: 10, description });
    case 'apps':
      return Type.Array(
        Type.Object({ appid: Type.String(), secret: Type.String() }, { additionalProperties: false }),
        { minItems: 1, description },
      );
  }
};

/** The file's schema, nested as the dotted keys say; unknown keys are refused. */
function buildSchema(): TObject {
  interface Node {
    [key: string]: Node | TSchema;
  }
  const tree: Node = {};
  for (const [path, [, leaf, doc]] of Object.entries(configKeys)) {
    const parts = path.split('.');
    let node = tree;
    for (const part of parts.slice(0, -1)) {
      node[part] ??= {};
      node = node[part] as Node;
    }
    node[parts.at(-1)!] = leafSchema(leaf, doc);
  }
  const toSchema = (node: Node): TObject =>
    Type.Partial(
      Type.Object(
        Object.fromEntries(
          Object.entries(node).map(([k, v]) => [k, Kind in v ? (v as TSchema) : toSchema(v as Node)]),
        ),
        { additionalProperties: false },
      ),
    );
  const schema = toSchema(tree);
  return Type.Object(
    { $schema: Type.Optional(Type.String()), ...schema.properties },
    {
      title: 'hutong.config.json',
      additionalProperties: false,
    },
  );
}

export const configFileSchema = buildSchema();

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** What is wrong with a file value of kind `leaf`; undefined when it fits. */
function leafProblem(leaf: Leaf, value: unknown): string | undefined {
  const integer = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  switch (leaf) {
    case 'string':
      return typeof value === 'string' ? undefined : 'expected a string';
    case 'integer':
      return integer(value) ? undefined : 'expected an integer ≥ 0';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'expected true or false';
    case 'integers':
      return Array.isArray(value) && value.length <= 10 && value.every(integer)
        ? undefined
        : 'expected a list of up to 10 integers ≥ 0';
    case 'apps':
      return Array.isArray(value) &&
        value.length > 0 &&
        value.every(
          (app) =>
            isObject(app) &&
            typeof app['appid'] === 'string' &&
            typeof app['secret'] === 'string' &&
            Object.keys(app).length === 2,
        )
        ? undefined
        : 'expected a list of {"appid": "…", "secret": "…"}';
  }
}

/** A checked file value as the environment variable's text. */
function asEnvText(leaf: Leaf, value: unknown): string {
  if (leaf === 'apps')
    return (value as { appid: string; secret: string }[]).map((a) => `${a.appid}:${a.secret}`).join(',');
  if (leaf === 'integers') return (value as number[]).join(',');
  return String(value);
}

/**
 * The file's values as environment variables, which file key each came from, and every problem
 * with the file's shape: unknown keys (with the nearest known key), values of the wrong type.
 */
export function fileToEnv(
  value: unknown,
  source: string,
): { env: Record<string, string>; origin: Map<string, string>; errors: ConfigError[] } {
  const env: Record<string, string> = {};
  const origin = new Map<string, string>();
  const errors: ConfigError[] = [];
  if (!isObject(value)) {
    errors.push(new ConfigError(`${source}: (top)`, 'expected an object of settings'));
    return { env, origin, errors };
  }
  const paths = Object.keys(configKeys);
  const walk = (node: Record<string, unknown>, prefix: string) => {
    for (const [key, child] of Object.entries(node)) {
      if (key === '$schema' && prefix === '') continue;
      const path = prefix ? `${prefix}.${key}` : key;
      const entry = configKeys[path];
      if (entry) {
        const [name, leaf] = entry;
        const problem = leafProblem(leaf, child);
        // Strings are not echoed: a secret of the wrong type must not be printed.
        const got = leaf === 'string' || leaf === 'apps' ? '' : `, got ${JSON.stringify(child)}`;
        if (problem) errors.push(new ConfigError(`${source}: ${path} (${name})`, `${problem}${got}`));
        else {
          env[name] = asEnvText(leaf, child);
          origin.set(name, path);
        }
      } else if (paths.some((p) => p.startsWith(`${path}.`))) {
        if (isObject(child)) walk(child, path);
        else errors.push(new ConfigError(`${source}: ${path}`, 'expected an object'));
      } else {
        const siblings = paths
          .filter((p) => p.startsWith(prefix ? `${prefix}.` : ''))
          .map((p) => p.slice(prefix ? prefix.length + 1 : 0).split('.')[0]!);
        const near = didYouMean(key, new Set(siblings)).replace(
          /"(.+)"/,
          `"${prefix ? `${prefix}.` : ''}$1"`,
        );
        errors.push(new ConfigError(`${source}: ${path}`, `unknown key${near || didYouMean(path, paths)}`));
      }
    }
  };
  walk(value, '');
  return { env, origin, errors };
}

/** Reads a config file: JSON, or a module whose default export is the object. */
export async function readConfigFile(file: string): Promise<unknown> {
  const path = resolve(file);
  if (/\.json$/i.test(path)) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      throw new ConfigError(basename(path), `cannot read ${path}`);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new ConfigError(basename(path), `not JSON: ${(error as Error).message}`);
    }
  }
  try {
    const module = (await import(pathToFileURL(path).href)) as { default?: unknown };
    return module.default;
  } catch (error) {
    throw new ConfigError(basename(path), `cannot load: ${(error as Error).message}`);
  }
}

/** Variables that name the same apps in two ways: one set in the environment hides the file's other. */
const appForms = [['HUTONG_APPS'], ['HUTONG_APPID', 'HUTONG_APP_SECRET', 'HUTONG_APP_SECRET_FILE']];

/**
 * The file's variables under the environment's. A setting set in the environment (as `HUTONG_X`
 * or `HUTONG_X_FILE`) drops both forms of it from the file, so `HUTONG_APP_SECRET` beats the
 * file's `appSecretFile` as it beats `appSecret`; likewise the environment's apps, in either
 * form, replace the file's. Empty variables count as unset.
 */
export function mergeSources(fromFile: Record<string, string>, env: Env): Env {
  const merged: Env = { ...fromFile };
  const set = Object.keys(env).filter((key) => env[key] !== undefined && env[key] !== '');
  for (const key of set) {
    const base = key.replace(/_FILE$/, '');
    delete merged[base];
    delete merged[`${base}_FILE`];
  }
  for (const [i, form] of appForms.entries()) {
    if (form.some((key) => set.includes(key))) for (const other of appForms[1 - i]!) delete merged[other];
  }
  for (const key of set) merged[key] = env[key];
  return merged;
}

/**
 * Names each setting in a message by where its value came from: a file's key with its variable
 * (`hutong.config.json: store.url (HUTONG_STORE_URL): …`), or the variable, followed by the file
 * key that would set it (`HUTONG_STORE_URL: … (file key store.url)`).
 */
export type Namer = (key: string, detail: string) => ConfigError;

export function namer(source: string | undefined, origin: ReadonlyMap<string, string>): Namer {
  return (key, detail) => {
    const base = key.replace(/_FILE$/, '');
    const fromFile = origin.get(key) ?? origin.get(base);
    if (source && fromFile) return new ConfigError(`${source}: ${fromFile} (${key})`, detail);
    const fileKey = fileKeyOf.get(key) ?? fileKeyOf.get(base);
    return new ConfigError(key, fileKey ? `${detail} (file key ${fileKey})` : detail);
  };
}

/** Everything a check finds: the configuration (usable when `errors` is empty), errors and warnings, named. */
export interface FileConfigReport {
  config: HutongConfig;
  errors: ConfigError[];
  warnings: ConfigWarning[];
  /** Names a further problem (a production check's) the way these were named. */
  name: Namer;
  /** The variables (without `_FILE`) with an error, whose values in `config` are fallbacks. */
  failed: ReadonlySet<string>;
}

/**
 * The configuration from a file (optional) and the environment, with every problem in either.
 * A file that cannot be read or parsed throws its ConfigError.
 */
export async function checkConfigWithFile(
  file: string | undefined,
  env: Env = process.env,
  defaults: ConfigDefaults = {},
): Promise<FileConfigReport> {
  const source = file ? basename(file) : undefined;
  const fromFile = file ? fileToEnv(await readConfigFile(file), source!) : undefined;
  const merged = fromFile ? mergeSources(fromFile.env, env) : env;
  const origin = new Map(
    [...(fromFile?.origin ?? [])].filter(([name]) => merged[name] === fromFile?.env[name]),
  );
  for (const key of Object.keys(env)) if (env[key]) origin.delete(key);
  const name = namer(source, origin);
  const report = checkEnv(merged, defaults);
  const named = (e: { key: string; detail: string }) => name(e.key, e.detail);
  return {
    config: report.config,
    errors: [...(fromFile?.errors ?? []), ...report.errors.map(named)],
    warnings: report.warnings.map((w) => {
      const { key, detail } = named(w);
      return { key, detail };
    }),
    name,
    failed: new Set(report.errors.map((e) => e.key.replace(/_FILE$/, ''))),
  };
}

/**
 * The configuration from a file (optional) and the environment: the environment wins. Throws a
 * ConfigError naming the key where the value came from (`hutong.config.json: store.url
 * (HUTONG_STORE_URL)`), or a ConfigErrors of every problem when there are several.
 */
export async function loadConfigWithFile(
  file: string | undefined,
  env: Env = process.env,
  defaults: ConfigDefaults = {},
): Promise<HutongConfig> {
  const report = await checkConfigWithFile(file, env, defaults);
  throwIfAny(report.errors);
  return report.config;
}
