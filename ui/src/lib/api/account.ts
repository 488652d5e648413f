/** The account answers and request bodies: who is signed in, sign-in results, emailed proofs. */

import { isRecord, optBool, optStr, record, str, type Fail } from '../wire';
import type { Wire } from './wire-types';

/** The signed-in user, as `GET /auth/validate` describes them. */
export interface CurrentUser {
  userId: string;
  email: string;
  /** The user's domain, when the server names one. */
  domain: string | null;
  /**
   * Whether the address is proven (by an emailed link or code). Only then is the user a
   * member of the domain: an unproven account sees nothing colleagues share, and shares nothing.
   */
  emailVerified: boolean;
}

/** A newly created account (`POST /auth/register`). */
export interface RegisteredUser {
  userId: string;
  email: string;
  /** Whether the address is proven (never yet, at registration). */
  emailVerified: boolean;
  /**
   * Whether a confirmation email went out: the password signs in once the address is
   * confirmed with that email's link or code.
   */
  verificationSent: boolean;
  /** What happens next, as the server says it. */
  message: string | null;
}

/** A successful login (`POST /auth/login`). The token stays in the cookie. */
export interface LoginResult {
  userId: string;
  /** When the session ends, as the server wrote it (an RFC 3339 timestamp). */
  expiresAt: string;
  /** Something the user must be told about this sign-in (a password was removed), if anything. */
  notice: string | null;
}

/** The body of a registration or a password sign-in. */
export function credentialsBody({ email, password }: Credentials): Wire['Credentials'] {
  return { email, password };
}

export interface Credentials {
  email: string;
  password: string;
}

/**
 * The server's answer to a request it accepted (a reset or sign-in email): one sentence
 * for the user. It is the same whether or not an account exists for the email.
 */
export interface Acknowledgement {
  message: string;
}

/** A new password, with the token from the reset link (`POST /auth/reset-password`). */
export interface PasswordReset {
  token: string;
  password: string;
}

/**
 * What proves a passwordless sign-in (`POST /auth/verify-login`): the token from the
 * emailed link, or the email with the code from that email (e.g. `K7QM-3XWP`).
 */
export type LoginProof = { token: string } | { email: string; code: string };

/**
 * What confirms a password account's address (`POST /auth/verify-email`): the confirmation
 * email's link token, or the address with its code, and the account's password either way.
 */
export type EmailConfirmation = { token: string; password: string } | { email: string; code: string; password: string };

/** Sentences for an accepted request whose answer came without one. */
export const RESET_REQUESTED_MESSAGE =
  'If an account exists for that email, a link to reset its password is on its way.';
export const PASSWORD_RESET_MESSAGE = 'Your password was changed.';
export const LOGIN_REQUESTED_MESSAGE = 'If that email can sign in here, a sign-in email is on its way.';
export const VERIFICATION_REQUESTED_MESSAGE =
  'If that address has an account waiting to be confirmed, a new confirmation email is on its way.';

/** The sentence of an acknowledgement, or `fallback` when there is none. */
export function readAcknowledgement(data: unknown, fallback: string): Acknowledgement {
  const message = isRecord(data) ? data['message'] : undefined;
  return { message: typeof message === 'string' && message.trim() !== '' ? message : fallback };
}

/** A new account (`auth/register`, `auth_register`). */
export function readRegisteredUser(value: unknown, fail: Fail): RegisteredUser {
  const body = record(value, fail);
  return {
    userId: str(body, 'user_id', fail),
    email: str(body, 'email', fail),
    emailVerified: optBool(body, 'email_verified', fail),
    verificationSent: optBool(body, 'verification_sent', fail),
    message: optStr(body, 'message', fail),
  };
}

/**
 * A login or passwordless sign-in. A `session_token` in the answer is left out on purpose:
 * the HttpOnly cookie (or the desktop shell) keeps the session.
 */
export function readLoginResult(value: unknown, fail: Fail): LoginResult {
  const body = record(value, fail);
  return {
    userId: str(body, 'user_id', fail),
    expiresAt: str(body, 'expires_at', fail),
    notice: optStr(body, 'notice', fail),
  };
}

/** The signed-in user (`auth/validate`, `auth_current_user`). */
export function readCurrentUser(value: unknown, fail: Fail): CurrentUser {
  const body = record(value, fail);
  return {
    userId: str(body, 'user_id', fail),
    email: str(body, 'email', fail),
    domain: optStr(body, 'domain', fail),
    emailVerified: optBool(body, 'email_verified', fail),
  };
}

/** The body of a passwordless sign-in: only the fields of the proof that was given. */
export function loginProofBody(proof: LoginProof): Wire['VerifyLogin'] {
  return 'token' in proof ? { token: proof.token } : { email: proof.email, code: proof.code };
}

/** The body of an address confirmation: only the fields of the proof that was given. */
export function confirmationBody(proof: EmailConfirmation): Wire['VerifyEmail'] {
  return 'token' in proof
    ? { token: proof.token, password: proof.password }
    : { email: proof.email, code: proof.code, password: proof.password };
}
