/** The connect URL in a tunnel-service answer: Wafer 1 `{url}`, Wafer 2 `{code: 0, data: {connectUrl}}`, Hutong `{connectUrl}`. */
export function connectUrlOf(data: unknown): string | undefined {
  if (data === null || typeof data !== 'object') return undefined;
  const body = data as { url?: unknown; connectUrl?: unknown; data?: { connectUrl?: unknown } | null };
  const url = body.data?.connectUrl ?? body.connectUrl ?? body.url;
  return typeof url === 'string' && /^wss?:\/\//i.test(url) ? url : undefined;
}

/** `url` with the query parameter `name` set to `value` (replaced when there). */
export function withParam(url: string, name: string, value: string): string {
  const pattern = new RegExp(`([?&])${name}=[^&#]*`);
  if (pattern.test(url)) return url.replace(pattern, `$1${name}=${encodeURIComponent(value)}`);
  return `${url}${url.includes('?') ? '&' : '?'}${name}=${encodeURIComponent(value)}`;
}
