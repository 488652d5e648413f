import { describe, expect, it } from 'vitest';
import { formatCodeInput, normalizeCode } from './login-code';

describe('formatCodeInput', () => {
  it('upper-cases and drops spaces, keeping the dash', () => {
    expect(formatCodeInput('k7qm-3xwp')).toBe('K7QM-3XWP');
    expect(formatCodeInput(' k7qm 3xwp\n')).toBe('K7QM3XWP');
    expect(formatCodeInput('')).toBe('');
  });
});

describe('normalizeCode', () => {
  it.each([
    ['K7QM-3XWP', 'K7QM3XWP'],
    ['k7qm3xwp', 'K7QM3XWP'],
    [' K7QM-3XWP ', 'K7QM3XWP'],
    ['k7qm 3xwp', 'K7QM3XWP'],
  ])('%j -> %j', (typed, code) => {
    expect(normalizeCode(typed)).toBe(code);
  });

  it.each(['', 'K7QM', 'K7QM-3XW', 'K7QM-3XWPZ', 'K7QM--3XWP', 'K7-QM-3XWP', 'K7QM_3XWP', 'K7QM-3XWÉ'])(
    'rejects %j',
    (typed) => {
      expect(normalizeCode(typed)).toBeNull();
    },
  );
});
