import { Event } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { JOB_EVENT_SCHEMA } from '../api/client';

/** What the server says in a job event (no secrets: ids and names only). */
export interface IJobEvent {
  job_id: string;
  status: string;
  target?: string;
  experiment?: string;
}

/**
 * Picks the jupyter_mlservice job events out of the server's event stream, so
 * that models refresh on push instead of hammering the API.
 */
export class JobEvents implements IDisposable {
  constructor(manager?: Event.IManager | null) {
    this._manager = manager ?? null;
    this._manager?.stream.connect(this._onEmission, this);
  }

  /** Emits every job event. */
  get changed(): ISignal<this, IJobEvent> {
    return this._changed;
  }

  /** Whether push events are available (if not, models poll faster). */
  get connected(): boolean {
    return this._manager !== null;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Deliver an event by hand (tests, or after a local action). */
  emit(event: IJobEvent): void {
    this._changed.emit(event);
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
    if (emission.schema_id !== JOB_EVENT_SCHEMA) {
      return;
    }
    const data = emission as unknown as IJobEvent;
    if (typeof data.job_id === 'string') {
      this._changed.emit({
        job_id: data.job_id,
        status: String(data.status ?? ''),
        target: data.target ? String(data.target) : undefined,
        experiment: data.experiment ? String(data.experiment) : undefined
      });
    }
  }

  private _manager: Event.IManager | null;
  private _changed = new Signal<this, IJobEvent>(this);
  private _isDisposed = false;
}
