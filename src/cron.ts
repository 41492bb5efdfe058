/**
 * Cron expressions in words, for the schedule dialog's helper line and the
 * Schedules section. Pure functions: no JupyterLab imports, tested in Jest.
 *
 * The server takes five-field expressions (minute hour day-of-month month
 * day-of-week, croniter); this module checks the same shape so a mistake is
 * explained while typing, before anything is sent.
 */

/** The result of reading a cron expression: words, or what to change. */
export type CronDescription = { ok: true; text: string } | { ok: false; error: string };

/** Common schedules offered as one-click presets. */
export const CRON_PRESETS: ReadonlyArray<{ label: string; cron: string }> = [
  { label: 'Every minute', cron: '* * * * *' },
  { label: 'Every 15 minutes', cron: '*/15 * * * *' },
  { label: 'Hourly', cron: '0 * * * *' },
  { label: 'Daily at 02:00', cron: '0 2 * * *' },
  { label: 'Weekdays at 09:00', cron: '0 9 * * 1-5' },
  { label: 'Weekly (Monday 06:00)', cron: '0 6 * * 1' },
  { label: 'Monthly (1st, 00:00)', cron: '0 0 1 * *' }
];

const MONTHS = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December'
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

interface IFieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
}

const FIELDS: IFieldSpec[] = [
  { name: 'Minute', min: 0, max: 59 },
  { name: 'Hour', min: 0, max: 23 },
  { name: 'Day of month', min: 1, max: 31 },
  { name: 'Month', min: 1, max: 12, names: MONTHS.map(m => m.slice(0, 3).toLowerCase()) },
  // 7 is Sunday too, as in croniter.
  { name: 'Day of week', min: 0, max: 7, names: DAYS.map(d => d.slice(0, 3).toLowerCase()) }
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
    const hint = spec.names ? ` (or a name such as ${spec.names[1]})` : '';
    throw new CronError(`${spec.name}: "${text}" is not a number from ${spec.min} to ${spec.max}${hint}.`);
  }
  const value = Number(text);
  if (value < spec.min || value > spec.max) {
    throw new CronError(`${spec.name}: ${value} is out of range; use ${spec.min} to ${spec.max}.`);
  }
  return value;
}

function parseField(text: string, spec: IFieldSpec): IField {
  const parts: IPart[] = [];
  for (const item of text.split(',')) {
    if (!item) {
      throw new CronError(`${spec.name}: empty item in "${text}".`);
    }
    const [range, stepText, extra] = item.split('/');
    if (extra !== undefined) {
      throw new CronError(`${spec.name}: "${item}" has more than one "/".`);
    }
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) {
        throw new CronError(`${spec.name}: the step in "${item}" must be a whole number above 0.`);
      }
      step = Number(stepText);
    }
    if (range === '*') {
      parts.push({ all: true, from: spec.min, to: spec.max, step });
      continue;
    }
    const bounds = range.split('-');
    if (bounds.length > 2 || bounds.some(b => !b)) {
      throw new CronError(`${spec.name}: "${item}" is not a value, a range (a-b) or a step (*/n).`);
    }
    const from = parseNumber(bounds[0], spec);
    // `5/15` means from 5 to the end, every 15 (croniter and Vixie cron).
    const to = bounds.length === 2 ? parseNumber(bounds[1], spec) : stepText !== undefined ? spec.max : from;
    if (to < from) {
      throw new CronError(`${spec.name}: the range "${item}" goes backwards; write it low-high.`);
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
  if (tens >= 11 && tens <= 13) {
    return `${n}th`;
  }
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}

/** "a", "a and b", "a, b and c". */
export function joinWords(items: ReadonlyArray<string>): string {
  if (items.length <= 1) {
    return items.join('');
  }
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
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
    return 'every minute';
  }
  const step = singleStep(field);
  if (step) {
    const every = `every ${step.step} minutes`;
    return step.all ? every : `${every}, minutes ${step.from} through ${step.to} past the hour`;
  }
  const range = singleRange(field);
  if (range) {
    return `every minute from ${range.from} through ${range.to} past the hour`;
  }
  const n = field.values;
  return `at ${joinWords(n.map(String))} minute${n.length === 1 && n[0] === 1 ? '' : 's'} past the hour`;
}

function describeHours(field: IField): string {
  if (field.any) {
    return '';
  }
  const step = singleStep(field);
  if (step) {
    const every = step.step === 1 ? 'every hour' : `every ${step.step} hours`;
    return step.all ? every : `${every}, from ${two(step.from)}:00 through ${two(step.to)}:59`;
  }
  const range = singleRange(field);
  if (range) {
    return `between ${two(range.from)}:00 and ${two(range.to)}:59`;
  }
  return `during the ${joinWords(field.values.map(h => `${two(h)}:00`))} hour${field.values.length > 1 ? 's' : ''}`;
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
    return `At ${joinWords(times)}`;
  }
  if (hour.any && isValueList(minute, 1) && minute.values[0] === 0) {
    return 'Every hour, on the hour';
  }
  return capitalize([describeMinutes(minute), describeHours(hour)].filter(Boolean).join(', '));
}

function describeDaysOfWeek(field: IField): string {
  const step = singleStep(field);
  if (step) {
    const every = `every ${ordinal(step.step)} day of the week`;
    return step.all ? every : `${every} from ${DAYS[step.from % 7]} through ${DAYS[step.to % 7]}`;
  }
  const range = singleRange(field);
  if (range && range.from !== range.to) {
    return `${DAYS[range.from % 7]} through ${DAYS[range.to % 7]}`;
  }
  // Monday first: "Saturday and Sunday", not "Sunday and Saturday".
  const days = [...field.values].sort((a, b) => ((a + 6) % 7) - ((b + 6) % 7)).map(d => DAYS[d]);
  return days.length === 1 ? `only on ${days[0]}` : `on ${joinWords(days)}`;
}

function describeDaysOfMonth(field: IField): string {
  const step = singleStep(field);
  if (step) {
    return step.all ? `every ${step.step} days` : `every ${step.step} days from day ${step.from} through ${step.to} of the month`;
  }
  const range = singleRange(field);
  if (range) {
    return `on days ${range.from} through ${range.to} of the month`;
  }
  const days = field.values.map(String);
  return `on day${days.length > 1 ? 's' : ''} ${joinWords(days)} of the month`;
}

function describeMonths(field: IField): string {
  if (field.any) {
    return '';
  }
  const step = singleStep(field);
  if (step) {
    return step.all ? `every ${step.step} months` : `every ${step.step} months from ${MONTHS[step.from - 1]} through ${MONTHS[step.to - 1]}`;
  }
  const range = singleRange(field);
  if (range) {
    return `${MONTHS[range.from - 1]} through ${MONTHS[range.to - 1]}`;
  }
  return `only in ${joinWords(field.values.map(m => MONTHS[m - 1]))}`;
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
    return { ok: false, error: 'Enter a cron expression, e.g. "0 2 * * *" (every day at 02:00).' };
  }
  if (text.startsWith('@')) {
    const macro = MACROS[text.toLowerCase()];
    return {
      ok: false,
      error: macro
        ? `Write "${text}" as five fields: "${macro}".`
        : `"${text}" is not a cron expression; use five fields, e.g. "0 2 * * *".`
    };
  }
  const raw = text.split(/\s+/);
  if (raw.length !== 5) {
    return {
      ok: false,
      error: `A cron expression has 5 fields (minute hour day-of-month month day-of-week), this one has ${raw.length}; e.g. "0 2 * * *".`
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
    days = `${describeDaysOfMonth(dom)} or ${describeDaysOfWeek(dow)}`;
  } else if (!dom.any) {
    days = describeDaysOfMonth(dom);
  } else if (!dow.any) {
    days = describeDaysOfWeek(dow);
  } else if (fixedTimes(minute, hour)) {
    // Only fixed times need saying "every day"; "Every 5 minutes" already repeats daily.
    days = 'every day';
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
  let text = every === 1 ? `Every ${unit}` : `Every ${every} ${unit}s`;
  if (recurrence.weekdays && recurrence.weekdays.length > 0) {
    text += ` on ${joinWords(recurrence.weekdays.map(d => capitalize(d)))}`;
  }
  if (recurrence.at && recurrence.at.length > 0) {
    text += ` at ${joinWords(recurrence.at)}`;
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
