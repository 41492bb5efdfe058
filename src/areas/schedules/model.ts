import * as api from '../../api/client';
import type { Schedule, ScheduleCreate, ScheduleRun, ScheduleUpdate } from '../../api/client';
import { PolledModel } from '../../models/base';
import { ServiceEvents } from '../../models/events';
import { IListQuery, ListModel } from '../../models/list';

/**
 * The Schedules area: every schedule with its next run and latest runs, a page
 * at a time. Refreshed on schedule events (created, fired, a run ended...) and
 * on job events while a listed schedule has runs going (their statuses show);
 * polled slowly otherwise.
 */
export class SchedulesModel extends ListModel<Schedule> {
  constructor(options: SchedulesModel.IOptions = {}) {
    super({ name: 'mlservice:schedules', ...options });
    this._events = options.events ?? new ServiceEvents(null);
    const refresh = () => void this.refresh().catch(() => undefined);
    this.own(
      this._events.on('schedule', refresh),
      this._events.on('job', () => this.items.some(s => s.active_runs > 0) && refresh())
    );
  }

  key(schedule: Schedule): string {
    return schedule.name;
  }

  async create(body: ScheduleCreate): Promise<Schedule> {
    const created = await api.createSchedule(body);
    this._announce(created.name, 'created');
    return created;
  }

  async update(name: string, body: ScheduleUpdate): Promise<Schedule> {
    const updated = await api.updateSchedule(name, body);
    this.replace(updated);
    this._announce(name, 'updated');
    return updated;
  }

  async setEnabled(name: string, enabled: boolean): Promise<Schedule> {
    const updated = await api.setScheduleEnabled(name, enabled);
    this.replace(updated);
    this._announce(name, enabled ? 'enabled' : 'disabled');
    return updated;
  }

  async runNow(name: string): Promise<ScheduleRun> {
    const run = await api.runScheduleNow(name);
    this._announce(name, 'fired');
    return run;
  }

  async remove(name: string): Promise<void> {
    await api.deleteSchedule(name);
    this.forget(name);
    this._announce(name, 'deleted');
  }

  /** What the server has now (the list may be a poll behind), to edit it. */
  get(name: string): Promise<Schedule> {
    return api.getSchedule(name);
  }

  /** The names of the first page's schedules, for pickers. */
  async names(): Promise<string[]> {
    return (await api.listSchedules({ limit: 1000 })).items.map(s => s.name);
  }

  protected fetchPage(query: IListQuery<Record<string, string | null>>): Promise<api.IPage<Schedule>> {
    return api.listSchedules({ limit: query.limit, cursor: query.cursor });
  }

  /** Tell every model (this list, an open schedule, Home) what changed here. */
  private _announce(name: string, action: 'created' | 'updated' | 'deleted' | 'enabled' | 'disabled' | 'fired'): void {
    this._events.emit('schedule', { name, action, run_id: null, status: null });
  }

  private _events: ServiceEvents;
}

export namespace SchedulesModel {
  export interface IOptions extends ListModel.IOptions {
    events?: ServiceEvents;
  }
}

/**
 * One schedule, open in its view, with its history (newest slot first):
 * refreshed on its schedule events and on job events of its runs.
 */
export class ScheduleDetailModel extends PolledModel {
  constructor(options: ScheduleDetailModel.IOptions) {
    super({ name: `mlservice:schedule:${options.schedule}`, ...options });
    this.name = options.schedule;
    this.historySize = options.historySize ?? 20;
    const events = options.events ?? new ServiceEvents(null);
    const refresh = () => void this.refresh().catch(() => undefined);
    this.own(
      events.on('schedule', event => event.name === this.name && refresh()),
      events.on('job', event => this._runs.some(r => r.job_id === event.job_id) && refresh())
    );
  }

  readonly name: string;
  readonly historySize: number;

  get schedule(): Schedule | null {
    return this._schedule;
  }

  /** The schedule's runs, newest slot first. */
  get runs(): ReadonlyArray<ScheduleRun> {
    return this._runs;
  }

  protected async fetch(): Promise<void> {
    const read = await this.unlessGone(() =>
      Promise.all([api.getSchedule(this.name), api.listScheduleRuns(this.name, { limit: this.historySize })])
    );
    this._schedule = read?.[0] ?? null;
    this._runs = read?.[1].items ?? [];
  }

  private _schedule: Schedule | null = null;
  private _runs: ScheduleRun[] = [];
}

export namespace ScheduleDetailModel {
  export interface IOptions extends PolledModel.IOptions {
    schedule: string;
    events?: ServiceEvents;
    /** Runs shown in the history. */
    historySize?: number;
  }
}
