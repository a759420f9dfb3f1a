import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { type ErrorCode, HutongError } from './errors.js';
import { err, ok, type Result } from './result.js';

/**
 * Checks `value` against `schema` without throwing and without code generation (mini programs
 * forbid `eval`). The first failing path is named in the error message.
 */
export function decode<S extends TSchema>(
  schema: S,
  value: unknown,
  code: ErrorCode = 'ERR_BAD_REQUEST',
): Result<Static<S>> {
  if (Value.Check(schema, value)) return ok(value as Static<S>);
  const first = Value.Errors(schema, value).First();
  const where = first ? `${first.path || '/'}: ${first.message}` : 'does not match';
  return err(new HutongError(code, `Invalid ${schema.title ?? 'value'} at ${where}`));
}

/** JSON.parse that reports a typed error instead of throwing. */
export function parseJson(text: string, code: ErrorCode = 'ERR_NOT_JSON'): Result<unknown> {
  try {
    return ok(JSON.parse(text) as unknown);
  } catch (cause) {
    return err(new HutongError(code, undefined, { cause }));
  }
}
