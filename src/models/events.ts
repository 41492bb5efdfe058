import { Event } from '@jupyterlab/services';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { EVENT_SCHEMA_BASE } from '../api/constants';

/**
 * What the server says when something changes (jupyter_events, version 1; ids and names only,
 * no secrets). Each area's models refresh on the events of their kind and keep only a slow poll
 * as a fallback.
 */
export namespace ServiceEvent {
  export interface IJob {
    job_id: string;
    status: string;
    target?: string;
    experiment?: string;
    kind?: string;
    attempt?: number;
  }
  export interface IEndpoint {
    endpoint: string;
    deployment: string | null;
    action: 'created' | 'updated' | 'deleted' | 'status' | 'traffic';
    status: string | null;
  }
  export interface IModel {
    name: string;
    version: string | null;
    action: 'registered' | 'updated' | 'deleted' | 'alias';
    alias: string | null;
  }
  export interface ISchedule {
    name: string;
    action: 'created' | 'updated' | 'deleted' | 'enabled' | 'disabled' | 'fired' | 'run_ended';
    run_id: number | string | null;
    status: string | null;
  }
  export interface ITarget {
    name: string;
    action: 'created' | 'updated' | 'deleted' | 'status';
    status: string | null;
  }
}

/**
 * The kinds of entity the server emits events for, and what each event carries. An area that
 * brings a new kind adds it from its own folder (declaration merging) and registers the field
 * that identifies it with `addEventKind`:
 *
 *   declare module '../../models/events' {
 *     interface IServiceEventMap { data: IDataEvent }
 *   }
 *   addEventKind('data', 'name');
 */
export interface IServiceEventMap {
  job: ServiceEvent.IJob;
  endpoint: ServiceEvent.IEndpoint;
  model: ServiceEvent.IModel;
  schedule: ServiceEvent.ISchedule;
  target: ServiceEvent.ITarget;
}

export type ServiceEventKind = keyof IServiceEventMap;

/** The schema id of each kind: `https://events.jupyter.org/jupyter_mlservice/<kind>` (published by the server). */
export const EVENT_SCHEMA_PREFIX = `${EVENT_SCHEMA_BASE}/`;

/** Each kind, with the field its event must carry to be taken as one (the rest is read as sent). */
const KINDS = new Map<string, string>([
  ['job', 'job_id'],
  ['endpoint', 'endpoint'],
  ['model', 'name'],
  ['schedule', 'name'],
  ['target', 'name']
]);

/** Take the server's events of one more kind (`<prefix>/<kind>`), those that carry `required`. */
export function addEventKind<K extends ServiceEventKind>(kind: K, required: keyof IServiceEventMap[K] & string): void {
  KINDS.set(kind, required);
}

/** One event, tagged with its kind. */
export type AnyServiceEvent = { [K in ServiceEventKind]: { kind: K; data: IServiceEventMap[K] } }[ServiceEventKind];

/**
 * Picks jupyter_mlservice's events out of the server's event stream, so that
 * models refresh on push instead of hammering the API.
 */
export class ServiceEvents implements IDisposable {
  constructor(manager?: Event.IManager | null) {
    this._manager = manager ?? null;
    this._manager?.stream.connect(this._onEmission, this);
  }

  /** Every event, of every kind. */
  get changed(): ISignal<this, AnyServiceEvent> {
    return this._changed;
  }

  /** Whether push events are available at all. */
  get connected(): boolean {
    return this._manager !== null;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Call `slot` on each event of one kind; returns a disposable that stops it
   * (models dispose it with themselves).
   */
  on<K extends ServiceEventKind>(kind: K, slot: (data: IServiceEventMap[K]) => void): IDisposable {
    const handler = (_: unknown, event: AnyServiceEvent) => {
      if (event.kind === kind) {
        slot(event.data as IServiceEventMap[K]);
      }
    };
    this._changed.connect(handler);
    return new DisposableDelegate(() => this._changed.disconnect(handler));
  }

  /** Deliver an event by hand (tests, or after a local action). */
  emit<K extends ServiceEventKind>(kind: K, data: IServiceEventMap[K]): void {
    this._changed.emit({ kind, data } as AnyServiceEvent);
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._manager?.stream.disconnect(this._onEmission, this);
    Signal.clearData(this);
  }

  private _onEmission(_: unknown, emission: Event.Emission): void {
    const id = emission.schema_id;
    if (typeof id !== 'string' || !id.startsWith(EVENT_SCHEMA_PREFIX)) {
      return;
    }
    const kind = id.slice(EVENT_SCHEMA_PREFIX.length) as ServiceEventKind;
    const required = KINDS.get(kind);
    const data = emission as unknown as Record<string, unknown>;
    if (!required || typeof data[required] !== 'string') {
      return;
    }
    // The server sends {schema_id, ...the event's fields} (a model event's `version` is the model's).
    const { schema_id: _id, ...fields } = data;
    this._changed.emit({ kind, data: fields } as unknown as AnyServiceEvent);
  }

  private _manager: Event.IManager | null;
  private _changed = new Signal<this, AnyServiceEvent>(this);
  private _isDisposed = false;
}
