import { type ErrorCode, HutongError, isHutongError } from '@hutong/protocol';

/** Fastify's own error codes that describe bad input, mapped into the registry. */
const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'ERR_PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'ERR_BAD_REQUEST',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'ERR_BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'ERR_NOT_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'ERR_NOT_JSON',
  FST_ERR_VALIDATION: 'ERR_BAD_REQUEST',
  FST_ERR_NOT_FOUND: 'ERR_NOT_FOUND',
};

/** Anything a route can throw, as a registry error. Unknown errors become ERR_INTERNAL. */
export function asHutongError(error: unknown): HutongError {
  if (isHutongError(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code in fastifyCodes) {
    return new HutongError(fastifyCodes[code]!, undefined, { cause: error });
  }
  if (error instanceof SyntaxError) return new HutongError('ERR_NOT_JSON', undefined, { cause: error });
  // Plugins' own client errors (http-errors style, e.g. static files' 403 on a path leaving the root).
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const mapped = status === 403 ? 'ERR_FORBIDDEN' : status === 404 ? 'ERR_NOT_FOUND' : 'ERR_BAD_REQUEST';
    return new HutongError(mapped, undefined, { cause: error });
  }
  return new HutongError('ERR_INTERNAL', undefined, { cause: error });
}

/** Hutong API error body. Internal errors say nothing about their cause. */
export function apiErrorBody(error: HutongError): { error: { code: ErrorCode; message: string } } {
  return { error: error.toJSON() };
}
