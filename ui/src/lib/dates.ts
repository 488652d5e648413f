/** Dates as the UI shows them, and the date filters' values as the server wants them. */

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A timestamp from the server (RFC 3339) for people, in their locale; '' if unreadable. */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : dateTime.format(date);
}

/** Parses the value of a date input (`YYYY-MM-DD`) as a local date, or null. */
function localDay(value: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return null;
  const date = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return Number.isNaN(date.getTime()) ? null : date;
}

/** The start of a day in the user's time zone, as RFC 3339 (for `from`); undefined if unset. */
export function startOfDay(value: string): string | undefined {
  return localDay(value)?.toISOString();
}

/**
 * The start of the day after, as RFC 3339 (for `to`, which is exclusive): a "to" date
 * includes the whole of that day. Undefined if unset.
 */
export function endOfDay(value: string): string | undefined {
  const day = localDay(value);
  if (!day) return undefined;
  day.setDate(day.getDate() + 1);
  return day.toISOString();
}
