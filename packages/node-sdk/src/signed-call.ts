import { HutongError } from '@hutong/protocol';
import { tunnelSignature } from '@hutong/protocol/wafer-signature';

/**
 * One signed call to Hutong's business-side HTTP API (the Wafer tunnel format): POSTs
 * `{data, signature, ...extra}` with `signature = sha1(data + key)` and answers the JSON reply,
 * which must be HTTP 200 with `code: 0`. Anything else is ERR_TUNNEL_UNAVAILABLE, worded for the
 * service called (`信道` for the tunnel API, as the Wafer SDKs say).
 */
export async function signedCall(
  url: string,
  payload: unknown,
  key: string,
  options: { service?: string; timeoutMs?: number; extra?: Record<string, unknown> } = {},
): Promise<Record<string, unknown>> {
  const service = options.service ?? '信道';
  const data = JSON.stringify(payload);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ data, ...options.extra, signature: tunnelSignature(data, key) }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
  } catch (cause) {
    throw new HutongError(
      'ERR_TUNNEL_UNAVAILABLE',
      `请求${service} API 失败，网络异常或${service}服务器错误`,
      {
        cause,
      },
    );
  }
  let json: Record<string, unknown>;
  try {
    json = (await response.json()) as Record<string, unknown>;
  } catch {
    throw new HutongError('ERR_TUNNEL_UNAVAILABLE', `${service}服务器响应格式错误，无法解析 JSON 字符串`);
  }
  if (response.status !== 200 || json['code'] !== 0) {
    const error = json['error'] as { code?: unknown; message?: unknown } | undefined;
    throw new HutongError(
      'ERR_TUNNEL_UNAVAILABLE',
      `${service}服务调用失败：${String(json['code'] ?? error?.code ?? response.status)} - ${String(json['message'] ?? error?.message)}`,
    );
  }
  return json;
}
