/** A JSON POST over a kept-open connection, as a business server calls the tunnel API. */
import { type Agent, request as httpRequest } from 'node:http';

/** POSTs `body` to `url` through `agent`; resolves with the answer's body once it has come. */
export function postJson(agent: Agent, url: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    request.once('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.once('end', () => resolve(text));
    });
    request.on('error', reject);
    request.end(body);
  });
}
