import type { HutongError } from './errors.js';

/** What a decoder returns: a value, or a typed error for bad input. Decoders never throw. */
export type Result<T, E = HutongError> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error });
