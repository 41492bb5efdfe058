import * as api from '../api/client';
import type { IJobFilter, Job } from '../api/client';
import { JobEvents } from './events';
import { PolledModel } from './base';

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
  }

  private _onJobEvent(): void {
    void this.refresh().catch(() => undefined);
  }

  private _items: Job[] = [];
  private _filter: IJobFilter = {};
  private _cursors: (string | null)[] = [null];
  private _nextCursor: string | null = null;
  private _events: JobEvents | null;
}

export namespace JobsModel {
  export interface IOptions extends PolledModel.IOptions {
    events?: JobEvents | null;
    pageSize?: number;
  }
}
