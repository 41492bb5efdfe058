import * as api from '../../api/client';
import type { Target, TargetCreate } from '../../api/client';
import { PolledModel } from '../../models/base';
import { ServiceEvents } from '../../models/events';
import { IListQuery, ListModel, fetchAll } from '../../models/list';

/** Every compute target's name (a workspace has a handful), for the dialogs' target fields. */
export async function targetNames(): Promise<string[]> {
  return (await fetchAll(query => api.listTargets(query))).map(t => t.name);
}

/**
 * The Compute area: targets with their capacity and running/queued counts, a
 * page at a time. Refreshed on target events and on job events (the counts move
 * with jobs), polled slowly otherwise.
 */
export class TargetsModel extends ListModel<Target> {
  constructor(options: TargetsModel.IOptions = {}) {
    super({ name: 'mlservice:targets', pageSize: 50, ...options });
    this._events = options.events ?? new ServiceEvents(null);
    const refresh = () => void this.refresh().catch(() => undefined);
    this.own(this._events.on('target', refresh), this._events.on('job', refresh));
  }

  key(target: Target): string {
    return target.name;
  }

  /** Backend types the server offers (from /info), for the create form. */
  get backends(): ReadonlyArray<string> {
    return this._backends;
  }

  /** The names of every target (all pages), refreshed with the list. */
  get names(): ReadonlyArray<string> {
    return this._names;
  }

  async create(body: TargetCreate): Promise<Target> {
    const target = await api.createTarget(body);
    this._events.emit('target', { name: target.name, action: 'created', status: null });
    return target;
  }

  async remove(name: string): Promise<void> {
    await api.deleteTarget(name);
    this.forget(name);
    this._events.emit('target', { name, action: 'deleted', status: null });
  }

  protected fetchPage(query: IListQuery<Record<string, string | null>>): Promise<api.IPage<Target>> {
    return api.listTargets({ limit: query.limit, cursor: query.cursor });
  }

  protected async afterFetch(): Promise<void> {
    this._names = this.hasNext || this.hasPrevious ? await targetNames() : this.items.map(t => t.name);
    if (this._backends.length === 0) {
      try {
        this._backends = (await api.getInfo()).backends ?? [];
      } catch {
        this._backends = [];
      }
    }
  }

  private _events: ServiceEvents;
  private _backends: string[] = [];
  private _names: string[] = [];
}

export namespace TargetsModel {
  export interface IOptions extends ListModel.IOptions {
    events?: ServiceEvents;
  }
}

/** One target, open in its view: its settings, capacity, counts and (Ray) cluster status. */
export class TargetDetailModel extends PolledModel {
  constructor(options: TargetDetailModel.IOptions) {
    // An open cluster's nodes and use change without events: read them every 10 s.
    super({ interval: 10000, name: `mlservice:target:${options.target}`, ...options });
    this.name = options.target;
    const events = options.events ?? new ServiceEvents(null);
    const refresh = () => void this.refresh().catch(() => undefined);
    this.own(
      events.on('target', event => event.name === this.name && refresh()),
      events.on('job', event => event.target === this.name && refresh())
    );
  }

  readonly name: string;

  get target(): Target | null {
    return this._target;
  }

  protected async fetch(): Promise<void> {
    this._target = await this.unlessGone(() => api.getTarget(this.name));
  }

  private _target: Target | null = null;
}

export namespace TargetDetailModel {
  export interface IOptions extends PolledModel.IOptions {
    target: string;
    events?: ServiceEvents;
  }
}
