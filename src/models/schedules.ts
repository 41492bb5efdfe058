import * as api from '../api/client';
import type { Schedule, ScheduleCreate, ScheduleRun, ScheduleUpdate } from '../api/client';
import { describeCron } from '../cron';
import { JobEvents } from './events';
import { PolledModel } from './base';
import { ISubmitForm, SubmitFormErrors, initialSubmitForm, validateSubmitForm } from './submit';

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** The schedule dialog's fields, as text: the notebook job's fields plus the timing. */
export interface IScheduleForm extends ISubmitForm {
  name: string;
  cron: string;
  timeZone: string;
  catchUp: 'skip' | 'latest' | 'all';
  maxConcurrentRuns: string;
  concurrencyPolicy: 'skip' | 'queue';
  enabled: boolean;
}

export type ScheduleFormErrors = SubmitFormErrors & Partial<Record<keyof IScheduleForm, string>>;

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
  timeZone = localTimeZone()
): IScheduleForm {
  return {
    ...initialSubmitForm(notebook, parameters, targets),
    name: defaultScheduleName(notebook),
    cron: '0 2 * * *',
    timeZone,
    catchUp: 'latest',
    maxConcurrentRuns: '1',
    concurrencyPolicy: 'skip',
    enabled: true
  };
}

function checkTimeZone(value: string): string | undefined {
  if (!value.trim()) {
    return 'A time zone is required, e.g. UTC or Europe/Paris.';
  }
  try {
    new Intl.DateTimeFormat('en', { timeZone: value.trim() });
    return undefined;
  } catch {
    return `"${value}" is not a time zone; use an IANA name such as Europe/Paris or UTC.`;
  }
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
  const checked = validateSubmitForm(form, targets);
  const errors: ScheduleFormErrors = { ...checked.errors };
  const name = form.name.trim();
  if (!name) {
    errors.name = 'A name is required.';
  } else if (!NAME_PATTERN.test(name)) {
    errors.name = 'Use 1-64 letters, digits, "_", "." or "-", starting with a letter or digit.';
  } else if (existing.includes(name)) {
    errors.name = `A schedule named "${name}" already exists.`;
  }
  const cron = describeCron(form.cron);
  if (!cron.ok) {
    errors.cron = cron.error;
  }
  const zone = checkTimeZone(form.timeZone);
  if (zone) {
    errors.timeZone = zone;
  }
  const concurrent = Number(form.maxConcurrentRuns);
  if (!Number.isInteger(concurrent) || concurrent < 1 || concurrent > 1000) {
    errors.maxConcurrentRuns = 'A whole number from 1 to 1000.';
  }
  if (Object.keys(errors).length > 0 || !checked.spec) {
    return { errors };
  }
  return {
    errors,
    body: {
      name,
      job: checked.spec as Record<string, unknown>,
      cron: form.cron.trim().split(/\s+/).join(' '),
      time_zone: form.timeZone.trim(),
      catch_up: form.catchUp,
      max_concurrent_runs: concurrent,
      concurrency_policy: form.concurrencyPolicy,
      enabled: form.enabled
    }
  };
}

/** Editing a schedule's timing and enabled state. */
export interface IScheduleEditForm {
  cron: string;
  timeZone: string;
  enabled: boolean;
}

export type ScheduleEditErrors = Partial<Record<keyof IScheduleEditForm, string>>;

export function initialScheduleEditForm(schedule: Schedule): IScheduleEditForm {
  return { cron: schedule.cron ?? '', timeZone: schedule.time_zone, enabled: schedule.enabled };
}

/** Check an edit; returns only what changed (a recurrence is replaced by the cron). */
export function validateScheduleEdit(
  form: IScheduleEditForm,
  schedule: Schedule
): { body?: ScheduleUpdate; errors: ScheduleEditErrors } {
  const errors: ScheduleEditErrors = {};
  // A recurrence schedule keeps its recurrence while the cron is left blank.
  const keepRecurrence = !form.cron.trim() && !!schedule.recurrence;
  const cron = describeCron(form.cron);
  if (!cron.ok && !keepRecurrence) {
    errors.cron = cron.error;
  }
  const zone = checkTimeZone(form.timeZone);
  if (zone) {
    errors.timeZone = zone;
  }
  if (Object.keys(errors).length > 0) {
    return { errors };
  }
  const body: ScheduleUpdate = {};
  const expr = form.cron.trim().split(/\s+/).join(' ');
  if (!keepRecurrence && expr !== (schedule.cron ?? '')) {
    body.cron = expr; // the server drops a recurrence replaced by a cron
  }
  if (form.timeZone.trim() !== schedule.time_zone) {
    body.time_zone = form.timeZone.trim();
  }
  if (form.enabled !== schedule.enabled) {
    body.enabled = form.enabled;
  }
  return { body, errors };
}

/**
 * Every schedule, with the history of the one selected. Refreshes when a job
 * event arrives (a scheduled run changed state) and polls as a fallback: the
 * scheduler fires slots on its own, so the list moves without any action here.
 */
export class SchedulesModel extends PolledModel {
  constructor(options: SchedulesModel.IOptions = {}) {
    const pushed = options.events?.connected ?? false;
    super({ interval: pushed ? 15000 : 5000, name: 'mlservice:schedules', ...options });
    this.historySize = options.historySize ?? 20;
    this._events = options.events ?? null;
    this._events?.changed.connect(this._onJobEvent, this);
  }

  readonly historySize: number;

  get items(): ReadonlyArray<Schedule> {
    return this._items;
  }

  /** The schedule whose history is shown, or null. */
  get selected(): string | null {
    return this._selected;
  }

  /** The selected schedule's runs, newest slot first. */
  get runs(): ReadonlyArray<ScheduleRun> {
    return this._runs;
  }

  find(name: string): Schedule | undefined {
    return this._items.find(s => s.name === name);
  }

  /** Show one schedule's history (null closes it); fetches it at once. */
  async select(name: string | null): Promise<void> {
    this._selected = name;
    this._runs = [];
    this.emitChanged();
    await this.refresh();
  }

  async create(body: ScheduleCreate): Promise<Schedule> {
    const created = await api.createSchedule(body);
    await this.refresh();
    return created;
  }

  async update(name: string, body: ScheduleUpdate): Promise<Schedule> {
    const updated = await api.updateSchedule(name, body);
    this._replace(updated);
    await this.refresh();
    return updated;
  }

  async setEnabled(name: string, enabled: boolean): Promise<Schedule> {
    const updated = await api.setScheduleEnabled(name, enabled);
    this._replace(updated);
    await this.refresh();
    return updated;
  }

  async runNow(name: string): Promise<ScheduleRun> {
    const run = await api.runScheduleNow(name);
    await this.refresh();
    return run;
  }

  async remove(name: string): Promise<void> {
    await api.deleteSchedule(name);
    if (this._selected === name) {
      this._selected = null;
      this._runs = [];
    }
    await this.refresh();
  }

  dispose(): void {
    this._events?.changed.disconnect(this._onJobEvent, this);
    super.dispose();
  }

  protected async fetch(): Promise<void> {
    const items: Schedule[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 20; i++) {
      const page: api.IPage<Schedule> = await api.listSchedules({ limit: 100, cursor });
      items.push(...page.items);
      cursor = page.next_cursor ?? null;
      if (!cursor) {
        break;
      }
    }
    this._items = items;
    const selected = this._selected;
    if (selected && !items.some(s => s.name === selected)) {
      this._selected = null;
      this._runs = [];
    } else if (selected) {
      this._runs = (await api.listScheduleRuns(selected, { limit: this.historySize })).items;
    }
  }

  private _replace(schedule: Schedule): void {
    this._items = this._items.map(s => (s.name === schedule.name ? schedule : s));
    this.emitChanged();
  }

  private _onJobEvent(): void {
    void this.refresh().catch(() => undefined);
  }

  private _items: Schedule[] = [];
  private _selected: string | null = null;
  private _runs: ScheduleRun[] = [];
  private _events: JobEvents | null;
}

export namespace SchedulesModel {
  export interface IOptions extends PolledModel.IOptions {
    events?: JobEvents | null;
    /** Runs shown in a schedule's history. */
    historySize?: number;
  }
}
