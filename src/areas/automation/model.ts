/**
 * The Automation area's models: triggers and rollouts as lists, one trigger (with its firings)
 * and one rollout open in a view. The only files of the area that call the API; each refreshes
 * on its server events (trigger, rollout) and polls slowly otherwise.
 */
import * as api from '../../api/client';
import type { Rollout, Trigger, TriggerFiring } from '../../api/client';
import { PolledModel } from '../../models/base';
import { ServiceEvents } from '../../models/events';
import { IListQuery, ListModel } from '../../models/list';
import './events'; // the trigger, evaluation and rollout event kinds
import type { ITriggerEvent } from './events';
import { sortRollouts } from './forms';

/** Triggers by name, a page at a time; refreshed on trigger events. */
export class TriggersModel extends ListModel<Trigger> {
  constructor(options: TriggersModel.IOptions = {}) {
    super({ name: 'mlservice:triggers', ...options });
    this._events = options.events ?? new ServiceEvents(null);
    this.own(this._events.on('trigger', () => void this.refresh().catch(() => undefined)));
  }

  key(trigger: Trigger): string {
    return trigger.name;
  }

  async setEnabled(name: string, enabled: boolean): Promise<Trigger> {
    const updated = await api.setTriggerEnabled(name, enabled);
    this.replace(updated);
    this._announce({ name, action: 'updated' });
    return updated;
  }

  /** Fire now (enabled or not), with the latest cause it watches. */
  async fire(name: string): Promise<TriggerFiring> {
    const firing = await api.fireTrigger(name);
    this._announce({ name, action: 'fired', firing_id: firing.id, status: firing.state });
    return firing;
  }

  async remove(name: string): Promise<void> {
    await api.deleteTrigger(name);
    this.forget(name);
    this._announce({ name, action: 'deleted' });
  }

  /** The names of the first page's triggers, for pickers. */
  async names(): Promise<string[]> {
    return (await api.listTriggers({ limit: 200 })).items.map(t => t.name);
  }

  protected fetchPage(query: IListQuery<Record<string, string | null>>): Promise<api.IPage<Trigger>> {
    return api.listTriggers({ limit: query.limit, cursor: query.cursor });
  }

  /** Tell every model (this list, an open trigger) what changed here, before the server's event comes. */
  private _announce(event: ITriggerEvent): void {
    this._events.emit('trigger', event);
  }

  private _events: ServiceEvents;
}

export namespace TriggersModel {
  export interface IOptions extends ListModel.IOptions {
    events?: ServiceEvents;
  }
}

/** Rollouts, in-progress first (then newest first); refreshed on rollout events. */
export class RolloutsModel extends ListModel<Rollout> {
  constructor(options: RolloutsModel.IOptions = {}) {
    super({ name: 'mlservice:rollouts', ...options });
    this._events = options.events ?? new ServiceEvents(null);
    this.own(this._events.on('rollout', () => void this.refresh().catch(() => undefined)));
  }

  key(rollout: Rollout): string {
    return rollout.id;
  }

  async approve(id: string): Promise<Rollout> {
    const updated = await api.approveRollout(id);
    this._tell(updated, 'approved');
    return updated;
  }

  /** All traffic back to the baseline now. */
  async abort(id: string): Promise<Rollout> {
    const updated = await api.abortRollout(id);
    this._tell(updated, 'updated');
    return updated;
  }

  /** Rollouts still in progress (ids), for pickers. */
  async ids(filter: (rollout: Rollout) => boolean = () => true): Promise<string[]> {
    return (await api.listRollouts({ limit: 100 })).items.filter(filter).map(r => r.id);
  }

  protected async fetchPage(query: IListQuery<Record<string, string | null>>): Promise<api.IPage<Rollout>> {
    const page = await api.listRollouts({ endpoint: query.filter.endpoint ?? null, limit: query.limit, cursor: query.cursor });
    return { ...page, items: sortRollouts(page.items) };
  }

  private _tell(rollout: Rollout, action: 'approved' | 'updated'): void {
    if (this.find(rollout.id)) {
      this.replace(rollout);
    }
    this._events.emit('rollout', { id: rollout.id, endpoint: rollout.endpoint, action, state: rollout.state });
  }

  private _events: ServiceEvents;
}

export namespace RolloutsModel {
  export interface IOptions extends ListModel.IOptions {
    events?: ServiceEvents;
  }
}

/**
 * One trigger, open in its view, with its firings (newest first): refreshed on its trigger
 * events and on job events of the jobs its firings started (their statuses show).
 */
export class TriggerDetailModel extends PolledModel {
  constructor(options: TriggerDetailModel.IOptions) {
    super({ name: `mlservice:trigger:${options.trigger}`, ...options });
    this.name = options.trigger;
    this.historySize = options.historySize ?? 50;
    const events = options.events ?? new ServiceEvents(null);
    const refresh = () => void this.refresh().catch(() => undefined);
    this.own(
      events.on('trigger', event => event.name === this.name && refresh()),
      events.on('job', event => this._firings.some(f => f.job_id === event.job_id) && refresh())
    );
  }

  readonly name: string;
  readonly historySize: number;

  get trigger(): Trigger | null {
    return this._trigger;
  }

  get firings(): ReadonlyArray<TriggerFiring> {
    return this._firings;
  }

  protected async fetch(): Promise<void> {
    const read = await this.unlessGone(() =>
      Promise.all([api.getTrigger(this.name), api.listTriggerFirings(this.name, { limit: this.historySize })])
    );
    this._trigger = read?.[0] ?? null;
    this._firings = read?.[1].items ?? [];
  }

  private _trigger: Trigger | null = null;
  private _firings: TriggerFiring[] = [];
}

export namespace TriggerDetailModel {
  export interface IOptions extends PolledModel.IOptions {
    trigger: string;
    events?: ServiceEvents;
    historySize?: number;
  }
}

/** One rollout, open in its view: refreshed on its rollout events (every step, pause, approval, rollback). */
export class RolloutDetailModel extends PolledModel {
  constructor(options: RolloutDetailModel.IOptions) {
    super({ name: `mlservice:rollout:${options.rollout}`, ...options });
    this.id = options.rollout;
    const events = options.events ?? new ServiceEvents(null);
    this.own(events.on('rollout', event => event.id === this.id && void this.refresh().catch(() => undefined)));
  }

  readonly id: string;

  get rollout(): Rollout | null {
    return this._rollout;
  }

  protected async fetch(): Promise<void> {
    this._rollout = await this.unlessGone(() => api.getRollout(this.id));
  }

  private _rollout: Rollout | null = null;
}

export namespace RolloutDetailModel {
  export interface IOptions extends PolledModel.IOptions {
    rollout: string;
    events?: ServiceEvents;
  }
}
