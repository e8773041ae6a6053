// Formatters are built once: toLocale*String with options builds a new Intl formatter per call,
// which dominated rendering a 200-row call list.
const timeFormat = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
const dateFormat = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** Local time, with the date only when it is not today, to keep list columns narrow. */
export function formatStartTime(iso: string, nowMs: number): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const time = timeFormat.format(date);
  return dateFormat.format(date) === dateFormat.format(nowMs)
    ? time
    : `${dateFormat.format(date)} ${time}`;
}
