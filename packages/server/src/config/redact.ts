/**
 * Keeping secrets out of what Hutong prints: `hutong config check` and the request log. A URL's
 * credentials (`user:password@`, and a user name alone, which some services take as the password)
 * and the values of secret-bearing query parameters become `[redacted]`.
 */

const REDACTED = '[redacted]';

/** Query parameters whose values are secrets: WeChat's, Hutong's own (session, tunnel) and drivers'. */
const SECRET_QUERY =
  /([?&](?:secret|js_code|code|access_token|signature|skey|token|tunnelId|resume|password|pass|pwd|key|auth)=)[^&#]*/gi;

/** A URL (or a request path with a query) with the values of secret query parameters replaced. */
export function redactQuery(url: string): string {
  return url.replace(SECRET_QUERY, `$1${REDACTED}`);
}

/**
 * A URL with every credential replaced: the password (`redis://:pw@host`, `mysql://root:pw@db`),
 * a user name given without a password (`redis://pw@host`), and secret query values. Text that
 * does not parse as a URL is returned with its query values redacted only.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redactQuery(url);
  }
  if (!parsed.username && !parsed.password) return redactQuery(url);
  if (parsed.password) parsed.password = REDACTED;
  else if (parsed.username) parsed.username = REDACTED;
  // URL encodes the brackets of `[redacted]` in the userinfo; put them back for the reader.
  return redactQuery(parsed.toString()).replaceAll('%5Bredacted%5D', REDACTED);
}
