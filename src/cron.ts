/**
 * Cron expressions in words, for the schedule dialog's helper line and the
 * Schedules area. Pure functions (the words through the translator), tested in Jest.
 *
 * The server takes five-field expressions (minute hour day-of-month month
 * day-of-week, croniter); this module checks the same shape so a mistake is
 * explained while typing, before anything is sent.
 */

import { trans } from './translate';

/** The result of reading a cron expression: words, or what to change. */
export type CronDescription = { ok: true; text: string } | { ok: false; error: string };

/** Common schedules offered as one-click presets. */
export function cronPresets(): ReadonlyArray<{ label: string; cron: string }> {
  return [
    { label: trans.__('Every minute'), cron: '* * * * *' },
    { label: trans.__('Every 15 minutes'), cron: '*/15 * * * *' },
    { label: trans.__('Hourly'), cron: '0 * * * *' },
    { label: trans.__('Daily at 02:00'), cron: '0 2 * * *' },
    { label: trans.__('Weekdays at 09:00'), cron: '0 9 * * 1-5' },
    { label: trans.__('Weekly (Monday 06:00)'), cron: '0 6 * * 1' },
    { label: trans.__('Monthly (1st, 00:00)'), cron: '0 0 1 * *' }
  ];
}

/** Month names, January first (translated when asked for). */
function months(): string[] {
  return [
    trans.__('January'),
    trans.__('February'),
    trans.__('March'),
    trans.__('April'),
    trans.__('May'),
    trans.__('June'),
    trans.__('July'),
    trans.__('August'),
    trans.__('September'),
    trans.__('October'),
    trans.__('November'),
    trans.__('December')
  ];
}

/** Day names, Sunday first as cron counts them. */
function days(): string[] {
  return [
    trans.__('Sunday'),
    trans.__('Monday'),
    trans.__('Tuesday'),
    trans.__('Wednesday'),
    trans.__('Thursday'),
    trans.__('Friday'),
    trans.__('Saturday')
  ];
}

interface IFieldSpec {
  name: () => string;
  min: number;
  max: number;
  /** The names cron accepts for values (always English, like cron's). */
  names?: string[];
}

const FIELDS: IFieldSpec[] = [
  { name: () => trans.__('Minute'), min: 0, max: 59 },
  { name: () => trans.__('Hour'), min: 0, max: 23 },
  { name: () => trans.__('Day of month'), min: 1, max: 31 },
  { name: () => trans.__('Month'), min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  // 7 is Sunday too, as in croniter.
  { name: () => trans.__('Day of week'), min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] }
];

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *'
};

/** One comma-separated part of a field: a value, a range, or a stepped range. */
interface IPart {
  /** `*` (the whole range), possibly stepped. */
  all: boolean;
  from: number;
  to: number;
  step: number;
}

/** A parsed field: its parts and whether it is a plain `*`. */
interface IField {
  any: boolean;
  parts: IPart[];
  /** Every value the field matches, sorted. */
  values: number[];
}

class CronError extends Error {}

function parseNumber(text: string, spec: IFieldSpec): number {
  const lower = text.toLowerCase();
  const named = spec.names?.indexOf(lower) ?? -1;
  if (named >= 0) {
    return spec.names === FIELDS[3].names ? named + 1 : named;
  }
  if (!/^\d+$/.test(text)) {
    throw new CronError(
      spec.names
        ? trans.__('%1: "%2" is not a number from %3 to %4 (or a name such as %5).', spec.name(), text, spec.min, spec.max, spec.names[1])
        : trans.__('%1: "%2" is not a number from %3 to %4.', spec.name(), text, spec.min, spec.max)
    );
  }
  const value = Number(text);
  if (value < spec.min || value > spec.max) {
    throw new CronError(trans.__('%1: %2 is out of range; use %3 to %4.', spec.name(), value, spec.min, spec.max));
  }
  return value;
}

function parseField(text: string, spec: IFieldSpec): IField {
  const parts: IPart[] = [];
  for (const item of text.split(',')) {
    if (!item) {
      throw new CronError(trans.__('%1: empty item in "%2".', spec.name(), text));
    }
    const [range, stepText, extra] = item.split('/');
    if (extra !== undefined) {
      throw new CronError(trans.__('%1: "%2" has more than one "/".', spec.name(), item));
    }
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) {
        throw new CronError(trans.__('%1: the step in "%2" must be a whole number above 0.', spec.name(), item));
      }
      step = Number(stepText);
    }
    if (range === '*') {
      parts.push({ all: true, from: spec.min, to: spec.max, step });
      continue;
    }
    const bounds = range.split('-');
    if (bounds.length > 2 || bounds.some(b => !b)) {
      throw new CronError(trans.__('%1: "%2" is not a value, a range (a-b) or a step (*/n).', spec.name(), item));
    }
    const from = parseNumber(bounds[0], spec);
    // `5/15` means from 5 to the end, every 15 (croniter and Vixie cron).
    const to = bounds.length === 2 ? parseNumber(bounds[1], spec) : stepText !== undefined ? spec.max : from;
    if (to < from) {
      throw new CronError(trans.__('%1: the range "%2" goes backwards; write it low-high.', spec.name(), item));
    }
    parts.push({ all: false, from, to, step });
  }
  const values = new Set<number>();
  for (const part of parts) {
    for (let v = part.from; v <= part.to; v += part.step) {
      values.add(spec === FIELDS[4] && v === 7 ? 0 : v);
    }
  }
  return {
    any: parts.length === 1 && parts[0].all && parts[0].step === 1,
    parts,
    values: [...values].sort((a, b) => a - b)
  };
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return trans._p('ordinal', '%1' + suffix, n);
}

/** "a", "a and b", "a, b and c". */
export function joinWords(items: ReadonlyArray<string>): string {
  if (items.length <= 1) {
    return items.join('');
  }
  return trans.__('%1 and %2', items.slice(0, -1).join(', '), items[items.length - 1]);
}

/** A single stepped part (every 5 minutes, or 10-50 by 10), or null. */
function singleStep(field: IField): IPart | null {
  return field.parts.length === 1 && field.parts[0].step > 1 ? field.parts[0] : null;
}

/** A single plain range `a-b` (step 1, not `*`), or null. */
function singleRange(field: IField): IPart | null {
  const p = field.parts.length === 1 ? field.parts[0] : null;
  return p && !p.all && p.step === 1 && p.to > p.from ? p : null;
}

/** Whether the field is a short list of plain values (no ranges or steps). */
function isValueList(field: IField, limit: number): boolean {
  return !field.any && field.parts.every(p => !p.all && p.from === p.to) && field.values.length <= limit;
}

function describeMinutes(field: IField): string {
  if (field.any) {
    return trans.__('every minute');
  }
  const step = singleStep(field);
  if (step) {
    return step.all
      ? trans.__('every %1 minutes', step.step)
      : trans.__('every %1 minutes, minutes %2 through %3 past the hour', step.step, step.from, step.to);
  }
  const range = singleRange(field);
  if (range) {
    return trans.__('every minute from %1 through %2 past the hour', range.from, range.to);
  }
  const n = field.values;
  return n.length === 1 && n[0] === 1
    ? trans.__('at %1 minute past the hour', n[0])
    : trans.__('at %1 minutes past the hour', joinWords(n.map(String)));
}

function describeHours(field: IField): string {
  if (field.any) {
    return '';
  }
  const step = singleStep(field);
  if (step) {
    const every = step.step === 1 ? trans.__('every hour') : trans.__('every %1 hours', step.step);
    return step.all ? every : trans.__('%1, from %2:00 through %3:59', every, two(step.from), two(step.to));
  }
  const range = singleRange(field);
  if (range) {
    return trans.__('between %1:00 and %2:59', two(range.from), two(range.to));
  }
  const hours = joinWords(field.values.map(h => `${two(h)}:00`));
  return field.values.length > 1 ? trans.__('during the %1 hours', hours) : trans.__('during the %1 hour', hours);
}

/** The times of day the minute and hour fields give, when they are a few fixed ones. */
function fixedTimes(minute: IField, hour: IField): string[] | null {
  if (!isValueList(minute, 6) || !isValueList(hour, 24) || minute.values.length * hour.values.length > 6) {
    return null;
  }
  const times: string[] = [];
  for (const h of hour.values) {
    for (const m of minute.values) {
      times.push(`${two(h)}:${two(m)}`);
    }
  }
  return times;
}

function describeTime(minute: IField, hour: IField): string {
  const times = fixedTimes(minute, hour);
  if (times) {
    return trans.__('At %1', joinWords(times));
  }
  if (hour.any && isValueList(minute, 1) && minute.values[0] === 0) {
    return trans.__('Every hour, on the hour');
  }
  return capitalize([describeMinutes(minute), describeHours(hour)].filter(Boolean).join(', '));
}

function describeDaysOfWeek(field: IField): string {
  const DAYS = days();
  const step = singleStep(field);
  if (step) {
    const every = trans.__('every %1 day of the week', ordinal(step.step));
    return step.all ? every : trans.__('%1 from %2 through %3', every, DAYS[step.from % 7], DAYS[step.to % 7]);
  }
  const range = singleRange(field);
  if (range && range.from !== range.to) {
    return trans.__('%1 through %2', DAYS[range.from % 7], DAYS[range.to % 7]);
  }
  // Monday first: "Saturday and Sunday", not "Sunday and Saturday".
  const names = [...field.values].sort((a, b) => ((a + 6) % 7) - ((b + 6) % 7)).map(d => DAYS[d]);
  return names.length === 1 ? trans.__('only on %1', names[0]) : trans.__('on %1', joinWords(names));
}

function describeDaysOfMonth(field: IField): string {
  const step = singleStep(field);
  if (step) {
    return step.all
      ? trans.__('every %1 days', step.step)
      : trans.__('every %1 days from day %2 through %3 of the month', step.step, step.from, step.to);
  }
  const range = singleRange(field);
  if (range) {
    return trans.__('on days %1 through %2 of the month', range.from, range.to);
  }
  const numbers = field.values.map(String);
  return numbers.length > 1
    ? trans.__('on days %1 of the month', joinWords(numbers))
    : trans.__('on day %1 of the month', numbers[0]);
}

function describeMonths(field: IField): string {
  if (field.any) {
    return '';
  }
  const MONTHS = months();
  const step = singleStep(field);
  if (step) {
    return step.all
      ? trans.__('every %1 months', step.step)
      : trans.__('every %1 months from %2 through %3', step.step, MONTHS[step.from - 1], MONTHS[step.to - 1]);
  }
  const range = singleRange(field);
  if (range) {
    return trans.__('%1 through %2', MONTHS[range.from - 1], MONTHS[range.to - 1]);
  }
  return trans.__('only in %1', joinWords(field.values.map(m => MONTHS[m - 1])));
}

function capitalize(text: string): string {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

/**
 * Describe a five-field cron expression in words, e.g. `0 2 * * *` ->
 * "At 02:00, every day"; or say what is wrong with it.
 */
export function describeCron(expression: string): CronDescription {
  const text = expression.trim();
  if (!text) {
    return { ok: false, error: trans.__('Enter a cron expression, e.g. "0 2 * * *" (every day at 02:00).') };
  }
  if (text.startsWith('@')) {
    const macro = MACROS[text.toLowerCase()];
    return {
      ok: false,
      error: macro
        ? trans.__('Write "%1" as five fields: "%2".', text, macro)
        : trans.__('"%1" is not a cron expression; use five fields, e.g. "0 2 * * *".', text)
    };
  }
  const raw = text.split(/\s+/);
  if (raw.length !== 5) {
    return {
      ok: false,
      error: trans.__(
        'A cron expression has 5 fields (minute hour day-of-month month day-of-week), this one has %1; e.g. "0 2 * * *".',
        raw.length
      )
    };
  }
  let fields: IField[];
  try {
    fields = raw.map((f, i) => parseField(f, FIELDS[i]));
  } catch (error) {
    if (error instanceof CronError) {
      return { ok: false, error: error.message };
    }
    throw error;
  }
  const [minute, hour, dom, month, dow] = fields;
  const time = describeTime(minute, hour);
  let days = '';
  if (!dom.any && !dow.any) {
    // Both restricted: cron runs when either matches.
    days = trans.__('%1 or %2', describeDaysOfMonth(dom), describeDaysOfWeek(dow));
  } else if (!dom.any) {
    days = describeDaysOfMonth(dom);
  } else if (!dow.any) {
    days = describeDaysOfWeek(dow);
  } else if (fixedTimes(minute, hour)) {
    // Only fixed times need saying "every day"; "Every 5 minutes" already repeats daily.
    days = trans.__('every day');
  }
  const months = describeMonths(month);
  return { ok: true, text: [time, days, months].filter(Boolean).join(', ') };
}

/** The recurrence shape of a schedule (`every`/`unit`/`at`/`weekdays`). */
export interface IRecurrenceLike {
  every?: number;
  unit: string;
  at?: string[];
  weekdays?: string[];
}

/** A recurrence in words: "Every 15 minutes", "Every day at 02:00", "Every 2 weeks on Mon, Thu at 09:00". */
export function describeRecurrence(recurrence: IRecurrenceLike): string {
  const every = recurrence.every ?? 1;
  const unit = recurrence.unit.replace(/s$/, '');
  const units: Record<string, [string, string]> = {
    minute: [trans.__('Every minute'), trans.__('Every %1 minutes', every)],
    hour: [trans.__('Every hour'), trans.__('Every %1 hours', every)],
    day: [trans.__('Every day'), trans.__('Every %1 days', every)],
    week: [trans.__('Every week'), trans.__('Every %1 weeks', every)]
  };
  let text = units[unit]?.[every === 1 ? 0 : 1] ?? `${every} ${recurrence.unit}`;
  if (recurrence.weekdays && recurrence.weekdays.length > 0) {
    text = trans.__('%1 on %2', text, joinWords(recurrence.weekdays.map(d => capitalize(d))));
  }
  if (recurrence.at && recurrence.at.length > 0) {
    text = trans.__('%1 at %2', text, joinWords(recurrence.at));
  }
  return text;
}

/** A schedule's timing in words, with its time zone: "At 02:00, every day (Europe/Paris)". */
export function describeTiming(schedule: {
  cron?: string | null;
  recurrence?: IRecurrenceLike | null;
  time_zone?: string;
}): string {
  let text = '';
  if (schedule.cron) {
    const described = describeCron(schedule.cron);
    text = described.ok ? described.text : schedule.cron;
  } else if (schedule.recurrence) {
    text = describeRecurrence(schedule.recurrence);
  }
  return schedule.time_zone && schedule.time_zone !== 'UTC' ? `${text} (${schedule.time_zone})` : text;
}
