/**
 * Readers of the snake_case JSON that docent-server and the Tauri shell send: the small
 * checks every reader of an answer is built from (chat-types.ts, settings-types.ts and the
 * account answers in api.ts and tauri-api.ts).
 *
 * Each takes the error its caller provides (`invalid_response`, with the status of the
 * answer) and throws it when a field does not have the expected type. Fields that may be
 * left out read as null (or false, for a flag).
 */

import type { ApiError } from './api/errors';

/** Makes the error to throw for an answer of the wrong shape. */
export type Fail = () => ApiError;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON object. */
export function record(value: unknown, fail: Fail): Record<string, unknown> {
  if (!isRecord(value)) throw fail();
  return value;
}

/** A JSON array. */
export function list(value: unknown, fail: Fail): unknown[] {
  if (!Array.isArray(value)) throw fail();
  return value;
}

/** A string; a number (an id sent as one) becomes a string. */
export function str(body: Record<string, unknown>, key: string, fail: Fail): string {
  const value = body[key];
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw fail();
}

/** A string the answer may leave out or set to null: null then. */
export function optStr(body: Record<string, unknown>, key: string, fail: Fail): string | null {
  return body[key] === undefined || body[key] === null ? null : str(body, key, fail);
}

export function int(body: Record<string, unknown>, key: string, fail: Fail): number {
  const value = body[key];
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  throw fail();
}

export function optInt(body: Record<string, unknown>, key: string, fail: Fail): number | null {
  return body[key] === undefined || body[key] === null ? null : int(body, key, fail);
}

export function bool(body: Record<string, unknown>, key: string, fail: Fail): boolean {
  const value = body[key];
  if (typeof value === 'boolean') return value;
  throw fail();
}

/** A flag the answer may leave out: false then. */
export function optBool(body: Record<string, unknown>, key: string, fail: Fail): boolean {
  return body[key] === undefined || body[key] === null ? false : bool(body, key, fail);
}
