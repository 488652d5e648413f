import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { bool, int, list, optBool, optInt, optStr, record, str } from './wire';

const fail = () => new ApiError(200, 'invalid_response', 'Unreadable.');

describe('wire readers', () => {
  it('read what has the expected type; ids sent as numbers become strings', () => {
    const body = record({ id: 7, name: 'x', top_k: 5, shared: true, none: null }, fail);
    expect(str(body, 'id', fail)).toBe('7');
    expect(str(body, 'name', fail)).toBe('x');
    expect(int(body, 'top_k', fail)).toBe(5);
    expect(bool(body, 'shared', fail)).toBe(true);
    expect(list([1, 2], fail)).toEqual([1, 2]);
  });

  it('read a field left out or null as null, or false for a flag', () => {
    const body = record({ none: null }, fail);
    expect(optStr(body, 'none', fail)).toBeNull();
    expect(optStr(body, 'missing', fail)).toBeNull();
    expect(optInt(body, 'missing', fail)).toBeNull();
    expect(optBool(body, 'none', fail)).toBe(false);
  });

  it('throw the error they are given for anything else', () => {
    const body = { name: ['x'], top_k: 2.5, shared: 'yes' };
    expect(() => record(['not', 'an', 'object'], fail)).toThrow(ApiError);
    expect(() => record(null, fail)).toThrow(ApiError);
    expect(() => list({}, fail)).toThrow(ApiError);
    expect(() => str(body, 'name', fail)).toThrow(ApiError);
    expect(() => str(body, 'missing', fail)).toThrow(ApiError);
    expect(() => optStr(body, 'name', fail)).toThrow(ApiError);
    expect(() => int(body, 'top_k', fail)).toThrow(ApiError);
    expect(() => optInt(body, 'top_k', fail)).toThrow(ApiError);
    expect(() => bool(body, 'shared', fail)).toThrow(ApiError);
    expect(() => optBool(body, 'shared', fail)).toThrow(ApiError);
  });
});
