/**
 * The HTTP status docent-server sends with each error code. Over HTTP the status comes
 * with the answer; the Tauri shell and the events of a streamed answer carry only the
 * code, so the UI looks the status up here to react the same way everywhere (a 401 sends
 * the user to sign in…).
 */

/** The status docent-server answers with for each code that is not caught by a pattern below. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  bad_request: 400,
  malformed_json: 400,
  // A reset or sign-in link that is unknown, expired or used; a wrong or expired code.
  invalid_token: 400,
  invalid_code: 400,
  invalid_credentials: 401,
  unauthenticated: 401,
  unauthorized: 401,
  session_expired: 401,
  forbidden: 403,
  domain_not_allowed: 403,
  // The right password, for an address not confirmed yet.
  email_not_verified: 403,
  // A conversation shared with the caller to read.
  read_only: 403,
  // Settings set by whoever runs docent-server, through DOCENT_* variables.
  settings_read_only: 403,
  not_found: 404,
  email_taken: 409,
  payload_too_large: 413,
  // A question that is empty or too long.
  empty_message: 422,
  message_too_long: 422,
  too_many_attempts: 429,
  rate_limited: 429,
  internal: 500,
  // The document search or the language model answered badly.
  retrieval_unavailable: 502,
  llm_unavailable: 502,
  llm_rejected: 502,
  // Configuration errors: the server answers these with 503, like `*_not_configured`.
  email_not_configured: 503,
  invalid_setting: 503,
  database_too_new: 503,
  allow_list_needs_email: 503,
  llm_rate_limited: 503,
  llm_timeout: 504,
};

/**
 * The HTTP status docent-server would send with an error `code`, so that the UI reacts
 * to a command's failure exactly as it does to the same failure over HTTP.
 */
export function statusForCode(code: string): number {
  const known = STATUS_BY_CODE[code];
  if (known !== undefined) return known;
  if (code.endsWith('_not_configured')) return 503;
  if (code.startsWith('invalid_') || code.startsWith('password_')) return 422;
  if (code.endsWith('_not_allowed') || code.endsWith('_forbidden')) return 403;
  if (code.endsWith('_not_found')) return 404;
  return 500;
}
