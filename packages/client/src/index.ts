/**
 * @hutong/client — the client SDK for mini programs and browsers (session, request, Tunnel, IM).
 * Until the SDK itself lands, this package exposes the wire constants a client needs.
 */
export { WAFER_MAGIC, WAFER_SESSION_STORAGE_KEY, wxHeaders } from '@hutong/protocol';
