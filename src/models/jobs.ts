import { Poll } from '@lumino/polling';

import * as api from '../api/client';
import type { IJobFilter, Job, JobProgress } from '../api/client';
import { JobEvents } from './events';
import { PolledModel } from './base';

/** Listed statuses of a batch job whose progress is read (Preparing: the list may lag). */
const ACTIVE: ReadonlySet<string> = new Set(['Preparing', 'Running']);

/**
 * A filtered, paginated list of jobs that refreshes when the server pushes a
 * job event, and polls slowly as a fallback.
 */
export class JobsModel extends PolledModel {
  constructor(options: JobsModel.IOptions = {}) {
    const pushed = options.events?.connected ?? false;
    super({
      // With push events the poll is only a safety net.
      interval: pushed ? 30000 : 5000,
      name: 'mlservice:jobs',
      ...options
    });
    this.pageSize = options.pageSize ?? 25;
    this._events = options.events ?? null;
    this._events?.changed.connect(this._onJobEvent, this);
    // Running batch jobs report progress every few seconds; only they are polled, and only
    // while the list shows one (the list itself refreshes on job events).
    this._progressPoll = new Poll({
      auto: false,
      factory: () => this._fetchProgress(),
      frequency: { interval: options.progressInterval ?? 3000, backoff: true, max: 30000 },
      standby: 'when-hidden',
      name: 'mlservice:jobs-progress'
    });
    this._pollProgress = options.auto ?? true;
  }

  readonly pageSize: number;

  get items(): ReadonlyArray<Job> {
    return this._items;
  }

  get filter(): Readonly<IJobFilter> {
    return this._filter;
  }

  /** Zero-based page number. */
  get page(): number {
    return this._cursors.length - 1;
  }

  get hasNext(): boolean {
    return !!this._nextCursor;
  }

  get hasPrevious(): boolean {
    return this._cursors.length > 1;
  }

  /** The latest progress of a running batch job in the list, or null. */
  progress(id: string): JobProgress | null {
    return this._progress.get(id) ?? null;
  }

  /** Change the filter and go back to the first page. */
  async setFilter(filter: IJobFilter): Promise<void> {
    this._filter = { ...this._filter, ...filter };
    this._cursors = [null];
    this.emitChanged();
    await this.refresh();
  }

  async nextPage(): Promise<void> {
    if (!this._nextCursor) {
      return;
    }
    this._cursors.push(this._nextCursor);
    await this.refresh();
  }

  async previousPage(): Promise<void> {
    if (this._cursors.length <= 1) {
      return;
    }
    this._cursors.pop();
    await this.refresh();
  }

  async cancel(id: string): Promise<Job> {
    const job = await api.cancelJob(id);
    await this.refresh();
    return job;
  }

  async rerun(id: string): Promise<Job> {
    const job = await api.rerunJob(id);
    await this.refresh();
    return job;
  }

  dispose(): void {
    this._events?.changed.disconnect(this._onJobEvent, this);
    this._progressPoll.dispose();
    super.dispose();
  }

  protected async fetch(): Promise<void> {
    const cursor = this._cursors[this._cursors.length - 1];
    const page = await api.listJobs({
      ...this._filter,
      limit: this.pageSize,
      cursor
    });
    this._items = page.items;
    this._nextCursor = page.next_cursor ?? null;
    await this._readProgress();
    if (this._pollProgress && this._watching && !this._progressPoll.isDisposed) {
      void this._progressPoll.start().catch(() => undefined);
    }
  }

  /**
   * Read the progress of the batch jobs on the page that are (or may by now be) running: a
   * Preparing job is often Running by the time its progress is read (the progress reply is the
   * newer of the two). Returns whether one has ended meanwhile (the list is then refreshed).
   */
  private async _readProgress(): Promise<boolean> {
    const active = this._items.filter(j => j.kind === 'batch' && ACTIVE.has(j.status));
    const next = new Map<string, JobProgress>();
    let ended = false;
    await Promise.all(
      active.map(async job => {
        try {
          const progress = await api.getJobProgress(job.id);
          if (progress.job_status === 'Running') {
            next.set(job.id, progress);
          } else if (!ACTIVE.has(progress.job_status)) {
            ended = true;
          }
        } catch {
          // Not written yet, or the job just ended: keep what was shown.
          const known = this._progress.get(job.id);
          if (known) {
            next.set(job.id, known);
          }
        }
      })
    );
    this._progress = next;
    // The progress reply is newer than the list: show those jobs as running.
    this._items = this._items.map(j => (next.has(j.id) && j.status !== 'Running' ? { ...j, status: 'Running' } : j));
    this._watching = active.length > 0;
    return ended;
  }

  private async _fetchProgress(): Promise<void> {
    const ended = await this._readProgress();
    this.emitChanged();
    if (ended) {
      void this.refresh().catch(() => undefined);
    }
    if (!this._watching) {
      void this._progressPoll.stop().catch(() => undefined);
    }
  }

  private _onJobEvent(): void {
    void this.refresh().catch(() => undefined);
  }

  private _items: Job[] = [];
  private _filter: IJobFilter = {};
  private _cursors: (string | null)[] = [null];
  private _nextCursor: string | null = null;
  private _events: JobEvents | null;
  private _progress = new Map<string, JobProgress>();
  private _watching = false;
  private _progressPoll: Poll;
  private _pollProgress: boolean;
}

export namespace JobsModel {
  export interface IOptions extends PolledModel.IOptions {
    events?: JobEvents | null;
    pageSize?: number;
    /** How often running batch jobs' progress is read (ms). */
    progressInterval?: number;
  }
}
