/**
 * The schedule dialog's checks, shared by create and edit: the timing (cron or
 * recurrence), time zone, start/end, catch-up and concurrency, and the job
 * (a notebook job built as the submit dialog builds it, or any job as JSON).
 */
import type { Schedule, ScheduleCreate, ScheduleUpdate } from '../../api/client';
import { FIELD_BOUNDS } from '../../api/statuses';
import { nameError } from '../../checks';
import { describeCron } from '../../cron';
import { trans } from '../../translate';
import { ISubmitForm, SubmitFormErrors, initialSubmitForm, validateSubmitForm } from '../jobs/forms';

/** A schedule's recurrence, as the server takes it. */
export type Recurrence = NonNullable<Schedule['recurrence']>;

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export type RecurrenceUnit = Recurrence['unit'];

/**
 * The schedule dialog's fields, as text: the notebook job's fields plus the
 * timing. The create and the edit dialog share it (and its checks).
 */
export interface IScheduleForm extends ISubmitForm {
  name: string;
  description: string;
  /** Which timing the schedule has: a cron expression or a recurrence. */
  timing: 'cron' | 'recurrence';
  cron: string;
  /** The recurrence: every N units, days and weeks at local times (and weekdays). */
  every: string;
  unit: RecurrenceUnit;
  /** Local times "HH:MM", comma-separated (days and weeks). */
  at: string;
  weekdays: Weekday[];
  timeZone: string;
  /** "YYYY-MM-DDTHH:MM" in UTC (a datetime-local input), or empty for none. */
  startAt: string;
  endAt: string;
  catchUp: 'skip' | 'latest' | 'all';
  catchUpLimit: string;
  maxConcurrentRuns: string;
  concurrencyPolicy: 'skip' | 'queue';
  enabled: boolean;
  /** The job's kind; a job of another kind than notebook is edited as JSON. */
  jobKind: string;
  /** The whole job spec as JSON text (jobs not made by this dialog: command, code, batch). */
  jobJson: string;
}

/** The form's errors by field; `server` holds a refusal of the server, shown on top. */
export type ScheduleFormErrors = SubmitFormErrors & Partial<Record<keyof IScheduleForm | 'server', string>>;

/** The browser's time zone (IANA), or UTC. */
export function localTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** A schedule name suggested for a notebook: its file name, made a valid name. */
export function defaultScheduleName(notebook: string): string {
  const base = (notebook.split('/').pop() ?? notebook).replace(/\.ipynb$/i, '');
  const cleaned = base.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return (cleaned || 'schedule').slice(0, 64);
}

/** The form pre-filled for a notebook and its parsed parameters. */
export function initialScheduleForm(
  notebook: string,
  parameters: Record<string, unknown>,
  targets: ReadonlyArray<string>,
  timeZone = localTimeZone(),
  preferredTarget = 'local'
): IScheduleForm {
  return {
    ...initialSubmitForm(notebook, parameters, targets, preferredTarget),
    name: defaultScheduleName(notebook),
    description: '',
    timing: 'cron',
    cron: '0 2 * * *',
    every: '1',
    unit: 'days',
    at: '02:00',
    weekdays: [],
    timeZone,
    startAt: '',
    endAt: '',
    catchUp: 'latest',
    catchUpLimit: '10',
    maxConcurrentRuns: '1',
    concurrencyPolicy: 'skip',
    enabled: true,
    jobKind: 'notebook',
    jobJson: ''
  };
}

/** A server time (naive = UTC) as a datetime-local value in UTC, "" for none. */
export function utcInputValue(value: string | null | undefined): string {
  if (!value) {
    return '';
  }
  const date = new Date(/([zZ]|[+-]\d\d:?\d\d)$/.test(value) ? value : `${value}Z`);
  return isNaN(date.getTime()) ? '' : date.toISOString().slice(0, 16);
}

/** The form filled from a schedule, to edit it: every field the create dialog has. */
export function scheduleEditForm(schedule: Schedule): IScheduleForm {
  const job = schedule.job as Record<string, any>;
  const kind = String(job.kind ?? '');
  const recurrence = schedule.recurrence;
  return {
    notebook: kind === 'notebook' ? String(job.notebook ?? '') : '',
    target: String(job.target ?? 'local'),
    experiment: String(job.experiment ?? 'Default'),
    displayName: String(job.display_name ?? ''),
    parameters: JSON.stringify(job.parameters ?? {}, null, 2),
    timeout: job.timeout_s !== undefined && job.timeout_s !== null ? String(job.timeout_s) : '',
    maxRetries: String(job.max_retries ?? 0),
    name: schedule.name,
    description: schedule.description ?? '',
    timing: recurrence && !schedule.cron ? 'recurrence' : 'cron',
    // A recurrence schedule switched to cron starts from the usual nightly cron.
    cron: schedule.cron ?? '0 2 * * *',
    every: String(recurrence?.every ?? 1),
    unit: recurrence?.unit ?? 'days',
    at: (recurrence?.at ?? []).join(', '),
    weekdays: [...(recurrence?.weekdays ?? [])],
    timeZone: schedule.time_zone,
    startAt: utcInputValue(schedule.start_at),
    endAt: utcInputValue(schedule.end_at),
    catchUp: schedule.catch_up,
    catchUpLimit: String(schedule.catch_up_limit),
    maxConcurrentRuns: String(schedule.max_concurrent_runs),
    concurrencyPolicy: schedule.concurrency_policy,
    enabled: schedule.enabled,
    jobKind: kind,
    jobJson: kind === 'notebook' ? '' : JSON.stringify(job, null, 2)
  };
}

function checkTimeZone(value: string): string | undefined {
  if (!value.trim()) {
    return trans.__('A time zone is required, e.g. UTC or Europe/Paris.');
  }
  try {
    new Intl.DateTimeFormat('en', { timeZone: value.trim() });
    return undefined;
  } catch {
    return trans.__('"%1" is not a time zone; use an IANA name such as Europe/Paris or UTC.', value);
  }
}

/** A recurrence as the server stores it: times sorted and two-digit, weekdays in week order. */
function normalRecurrence(recurrence: Recurrence): Required<Recurrence> {
  const at = [...new Set((recurrence.at ?? []).map(t => t.replace(/^(\d):/, '0$1:')))].sort();
  const weekdays = WEEKDAYS.filter(d => (recurrence.weekdays ?? []).includes(d));
  return { every: recurrence.every ?? 1, unit: recurrence.unit, at, weekdays };
}

/** JSON with sorted keys: two values are equal when their texts are. */
function stableJSON(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map(k => [k, v[k]]))
      : v
  );
}

/** The fields of a notebook job the form edits, and what the server takes when one is absent. */
const JOB_FIELDS: Record<string, unknown> = {
  notebook: '',
  target: 'local',
  experiment: 'Default',
  display_name: '',
  parameters: {},
  timeout_s: null,
  max_retries: 0
};

/** What the form says, checked: every field of ScheduleCreate but the name. */
interface ICheckedSchedule {
  description: string;
  cron: string | null;
  recurrence: Required<Recurrence> | null;
  time_zone: string;
  start_at: string | null;
  end_at: string | null;
  catch_up: IScheduleForm['catchUp'];
  catch_up_limit: number;
  max_concurrent_runs: number;
  concurrency_policy: IScheduleForm['concurrencyPolicy'];
  enabled: boolean;
  /** The job spec the form builds; on an edit, over the schedule's job (its other fields kept). */
  job: Record<string, unknown>;
}

/** Check what the create and the edit dialog share; `current` is the job an edit starts from. */
function checkSchedule(
  form: IScheduleForm,
  targets: ReadonlyArray<string>,
  current: Record<string, unknown> | null
): { checked?: ICheckedSchedule; errors: ScheduleFormErrors } {
  const errors: ScheduleFormErrors = {};
  let job: Record<string, unknown> | null = null;
  if (form.jobKind === 'notebook') {
    const submit = validateSubmitForm(form, targets);
    Object.assign(errors, submit.errors);
    if (submit.spec) {
      job = { ...(current ?? {}), ...submit.spec };
      // Cleared fields go back to the server's defaults.
      for (const key of ['display_name', 'timeout_s'] as const) {
        if (submit.spec[key] === undefined) {
          delete job[key];
        }
      }
    }
  } else {
    try {
      const parsed = JSON.parse(form.jobJson);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || !parsed.kind) {
        errors.jobJson = trans.__('The job is a JSON object with a kind, as POST /jobs takes it.');
      } else {
        job = parsed;
      }
    } catch (error) {
      errors.jobJson = trans.__('The job is not valid JSON: %1', (error as Error).message);
    }
  }

  let cron: string | null = null;
  let recurrence: Required<Recurrence> | null = null;
  if (form.timing === 'cron') {
    const described = describeCron(form.cron);
    if (!described.ok) {
      errors.cron = described.error;
    }
    cron = form.cron.trim().split(/\s+/).join(' ');
  } else {
    const every = Number(form.every);
    const { minimum, maximum } = FIELD_BOUNDS.Recurrence.every;
    if (!Number.isInteger(every) || every < minimum || every > maximum) {
      errors.every = trans.__('A whole number from %1 to %2.', minimum, maximum);
    }
    const daily = form.unit === 'days' || form.unit === 'weeks';
    const at: string[] = [];
    if (daily) {
      for (const time of form.at.split(/[\s,]+/).filter(Boolean)) {
        const m = /^(\d{1,2}):(\d{2})$/.exec(time);
        if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) {
          errors.at = trans.__('"%1" is not a time; write HH:MM, e.g. 02:30 (several: 02:30, 14:00).', time);
          break;
        }
        at.push(`${m[1].padStart(2, '0')}:${m[2]}`);
      }
    }
    recurrence = normalRecurrence({
      every,
      unit: form.unit,
      at,
      weekdays: form.unit === 'weeks' ? form.weekdays : []
    });
  }

  const zone = checkTimeZone(form.timeZone);
  if (zone) {
    errors.timeZone = zone;
  }
  const instant = (key: 'startAt' | 'endAt'): string | null => {
    const text = form[key].trim();
    if (!text) {
      return null;
    }
    const date = new Date(`${text.length === 16 ? `${text}:00` : text}Z`);
    if (isNaN(date.getTime())) {
      errors[key] = trans.__('A date and time (UTC), e.g. 2026-12-01T00:00, or empty for none.');
      return null;
    }
    return date.toISOString().replace('.000Z', 'Z');
  };
  const startAt = instant('startAt');
  const endAt = instant('endAt');
  if (startAt && endAt && endAt <= startAt) {
    errors.endAt = trans.__('The end comes after the start.');
  }
  const limit = Number(form.catchUpLimit);
  const { catch_up_limit: CATCH_UP, max_concurrent_runs: CONCURRENT } = FIELD_BOUNDS.ScheduleCreate;
  if (form.catchUp === 'all' && (!Number.isInteger(limit) || limit < CATCH_UP.minimum || limit > CATCH_UP.maximum)) {
    errors.catchUpLimit = trans.__('A whole number from %1 to %2.', CATCH_UP.minimum, CATCH_UP.maximum);
  }
  const concurrent = Number(form.maxConcurrentRuns);
  if (!Number.isInteger(concurrent) || concurrent < CONCURRENT.minimum || concurrent > CONCURRENT.maximum) {
    errors.maxConcurrentRuns = trans.__('A whole number from %1 to %2.', CONCURRENT.minimum, CONCURRENT.maximum);
  }
  if (Object.keys(errors).length > 0 || !job) {
    return { errors };
  }
  return {
    errors,
    checked: {
      description: form.description.trim(),
      cron,
      recurrence,
      time_zone: form.timeZone.trim(),
      start_at: startAt,
      end_at: endAt,
      catch_up: form.catchUp,
      catch_up_limit: form.catchUp === 'all' ? limit : Number.NaN,
      max_concurrent_runs: concurrent,
      concurrency_policy: form.concurrencyPolicy,
      enabled: form.enabled,
      job
    }
  };
}

/**
 * Check the schedule form; returns the body for POST /schedules (the job spec
 * built exactly as the submit dialog builds it), or the errors to show.
 */
export function validateScheduleForm(
  form: IScheduleForm,
  targets: ReadonlyArray<string>,
  existing: ReadonlyArray<string> = []
): { body?: ScheduleCreate; errors: ScheduleFormErrors } {
  const { checked, errors } = checkSchedule(form, targets, null);
  const name = form.name.trim();
  const problem = nameError('schedule', name, existing, trans.__('schedule'));
  if (problem) {
    errors.name = problem;
  }
  if (Object.keys(errors).length > 0 || !checked) {
    return { errors };
  }
  const body: ScheduleCreate = {
    name,
    job: checked.job,
    ...(checked.recurrence ? { recurrence: checked.recurrence } : { cron: checked.cron }),
    time_zone: checked.time_zone,
    catch_up: checked.catch_up,
    max_concurrent_runs: checked.max_concurrent_runs,
    concurrency_policy: checked.concurrency_policy,
    enabled: checked.enabled
  };
  // The optional fields only when set, so the server's defaults hold otherwise.
  if (checked.description) {
    body.description = checked.description;
  }
  if (checked.start_at) {
    body.start_at = checked.start_at;
  }
  if (checked.end_at) {
    body.end_at = checked.end_at;
  }
  if (checked.catch_up === 'all') {
    body.catch_up_limit = checked.catch_up_limit;
  }
  return { errors, body };
}

function sameInstant(a: string | null | undefined, b: string | null): boolean {
  return utcInputValue(a ?? null) === utcInputValue(b);
}

/**
 * Check an edit of `schedule`; returns only what changed (PATCH body; empty
 * when nothing did), or the errors to show. A changed job is sent whole: its
 * fields the form does not show (environment, resources...) as they were.
 */
export function validateScheduleEdit(
  form: IScheduleForm,
  schedule: Schedule,
  targets: ReadonlyArray<string>
): { body?: ScheduleUpdate; errors: ScheduleFormErrors } {
  const current = schedule.job as Record<string, unknown>;
  const { checked, errors } = checkSchedule(form, targets, current);
  if (!checked) {
    return { errors };
  }
  const body: ScheduleUpdate = {};
  if (checked.description !== (schedule.description ?? '')) {
    body.description = checked.description;
  }
  if (checked.cron !== null && (checked.cron !== schedule.cron || schedule.recurrence)) {
    body.cron = checked.cron; // the server drops a recurrence replaced by a cron
  }
  if (
    checked.recurrence &&
    (!schedule.recurrence ||
      schedule.cron ||
      stableJSON(checked.recurrence) !== stableJSON(normalRecurrence(schedule.recurrence)))
  ) {
    body.recurrence = checked.recurrence; // ... and the cron replaced by a recurrence
  }
  if (checked.time_zone !== schedule.time_zone) {
    body.time_zone = checked.time_zone;
  }
  if (!sameInstant(schedule.start_at, checked.start_at)) {
    body.start_at = checked.start_at;
  }
  if (!sameInstant(schedule.end_at, checked.end_at)) {
    body.end_at = checked.end_at;
  }
  if (checked.enabled !== schedule.enabled) {
    body.enabled = checked.enabled;
  }
  if (checked.catch_up !== schedule.catch_up) {
    body.catch_up = checked.catch_up;
  }
  if (checked.catch_up === 'all' && checked.catch_up_limit !== schedule.catch_up_limit) {
    body.catch_up_limit = checked.catch_up_limit;
  }
  if (checked.max_concurrent_runs !== schedule.max_concurrent_runs) {
    body.max_concurrent_runs = checked.max_concurrent_runs;
  }
  if (checked.concurrency_policy !== schedule.concurrency_policy) {
    body.concurrency_policy = checked.concurrency_policy;
  }
  const jobChanged =
    form.jobKind === 'notebook'
      ? Object.entries(JOB_FIELDS).some(
          ([key, absent]) => stableJSON(checked.job[key] ?? absent) !== stableJSON(current[key] ?? absent)
        )
      : stableJSON(checked.job) !== stableJSON(current);
  if (jobChanged) {
    body.job = checked.job;
  }
  return { body, errors };
}
