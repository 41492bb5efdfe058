import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

/**
 * A model that keeps some server state fresh with a `Poll` and tells views
 * through `changed`. Subclasses implement `fetch()`; views only render.
 */
export abstract class PolledModel implements IDisposable {
  constructor(options: PolledModel.IOptions = {}) {
    // Without an interval of its own, a model polls at the user's setting: a slow fallback,
    // since server events (ServiceEvents) refresh it when something changes.
    this._followsSetting = options.interval === undefined;
    this._live = options.auto ?? true;
    const interval = options.interval ?? PolledModel.fallbackInterval;
    this._poll = new Poll({
      auto: options.auto ?? true,
      factory: () => this._tick(),
      frequency: {
        interval,
        backoff: true,
        max: Math.max(options.maxInterval ?? 60000, interval)
      },
      standby: options.standby ?? 'when-hidden',
      name: options.name
    });
    if (this._followsSetting) {
      followers.add(this);
    }
  }

  /** Emits whenever the model's data, error or loading state changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The last error met while fetching, or null. */
  get error(): string | null {
    return this._error;
  }

  /** True until the first fetch has ended. */
  get loading(): boolean {
    return this._loading;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** The poll; exposed for tests and for callers that tune its frequency. */
  get poll(): Poll {
    return this._poll;
  }

  /**
   * Start polling, if the model was made with `auto: false` and is not polling
   * yet. Views call it when they first show the model, so that what nobody
   * looks at is not read (the studio's lists are made at startup, shown later).
   */
  activate(): void {
    if (this._activated || this._isDisposed) {
      return;
    }
    this._activated = true;
    this._live = true;
    void this._poll.start().catch(() => undefined);
  }

  /** Whether the model polls (made with `auto`, or activated by a view): what it adds polls too. */
  protected get isLive(): boolean {
    return this._live && !this._isDisposed;
  }

  /**
   * Fetch now (debounced through the poll); resolves once fetched.
   *
   * A refresh asked for while a fetch is in flight is not dropped: that fetch
   * may have read the server before the change that prompted the refresh, so
   * the model fetches once more when it ends.
   */
  async refresh(): Promise<void> {
    if (this._isDisposed) {
      return;
    }
    if (this._fetching) {
      this._stale = true;
    }
    await this._poll.refresh();
    await this._poll.tick;
  }

  /** True once the server said the entity this model reads does not exist (deleted meanwhile). */
  get gone(): boolean {
    return this._gone;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    followers.delete(this);
    this._owned.forEach(item => item.dispose());
    this._owned = [];
    this._poll.dispose();
    Signal.clearData(this);
  }

  /** Dispose these with the model (event subscriptions, other polls). */
  protected own(...items: IDisposable[]): void {
    this._owned.push(...items);
  }

  /**
   * Read one entity; a 404 means it is gone (deleted meanwhile): say so, stop
   * polling and answer null, rather than show an error.
   */
  protected async unlessGone<T>(read: () => Promise<T>): Promise<T | null> {
    try {
      return await read();
    } catch (error) {
      if ((error as { status?: number }).status === 404) {
        this._gone = true;
        this._poll.stop().catch(() => undefined);
        return null;
      }
      throw error;
    }
  }

  /** Load the data; throw to record an error (the poll then backs off). */
  protected abstract fetch(): Promise<void>;

  protected emitChanged(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  private async _tick(): Promise<void> {
    this._fetching = true;
    try {
      do {
        this._stale = false;
        await this.fetch();
      } while (this._stale && !this._isDisposed);
      this._error = null;
    } catch (error) {
      this._error = (error as Error).message ?? String(error);
      throw error;
    } finally {
      this._fetching = false;
      this._loading = false;
      this.emitChanged();
    }
  }

  /** The poll interval (ms) of models that follow the "poll interval" setting. */
  static get fallbackInterval(): number {
    return fallback;
  }

  /** Change the setting's interval: every live model that follows it polls at the new pace. */
  static set fallbackInterval(ms: number) {
    fallback = ms;
    for (const model of followers) {
      const frequency = model.poll.frequency;
      model.poll.frequency = { ...frequency, interval: ms, max: Math.max(frequency.max, ms) };
    }
  }

  private _activated = false;
  private _live: boolean;
  private _gone = false;
  private _owned: IDisposable[] = [];
  private _followsSetting: boolean;
  private _poll: Poll;
  private _changed = new Signal<this, void>(this);
  private _error: string | null = null;
  private _loading = true;
  private _isDisposed = false;
  private _fetching = false;
  private _stale = false;
}

let fallback = 30000;
const followers = new Set<PolledModel>();

export namespace PolledModel {
  export interface IOptions {
    /** Start polling at once (default true). */
    auto?: boolean;
    /** Poll interval in ms; default: the user's "poll interval" setting (PolledModel.fallbackInterval). */
    interval?: number;
    maxInterval?: number;
    standby?: Poll.Standby | (() => boolean | Poll.Standby);
    name?: string;
  }
}
