/**
 * The code of a sign-in email: 8 upper-case letters and digits, which the email
 * shows in two halves (`K7QM-3XWP`). The server takes it with or without the dash,
 * in any case.
 */

const CODE_LENGTH = 8;

/** What the code field shows for what was typed: upper case, no spaces. */
export function formatCodeInput(value: string): string {
  return value.toUpperCase().replace(/\s+/g, '');
}

/**
 * The code to send for what was typed (`k7qm-3xwp` -> `K7QM3XWP`), or null when it
 * is not 8 letters and digits with at most one dash between them.
 */
export function normalizeCode(value: string): string | null {
  const typed = formatCodeInput(value);
  if ((typed.match(/-/g) ?? []).length > 1) return null;
  const code = typed.replace('-', '');
  return new RegExp(`^[A-Z0-9]{${CODE_LENGTH}}$`).test(code) ? code : null;
}

/**
 * Reformats a code field as it is typed (upper case, no spaces), keeping the caret where it
 * was; the field's new value.
 */
export function reformatCodeField(input: HTMLInputElement): string {
  const caret = input.selectionStart;
  const formatted = formatCodeInput(input.value);
  if (formatted !== input.value) {
    const before = caret === null ? formatted.length : formatCodeInput(input.value.slice(0, caret)).length;
    input.value = formatted;
    input.setSelectionRange(before, before);
  }
  return formatted;
}
