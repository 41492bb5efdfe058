/**
 * The Sweeps area's models: sweeps and AutoML runs (both parent jobs) newest first with what each
 * found so far, one sweep or AutoML run open in its view, and a sweep's trials. The only files of
 * the area that call the API.
 */
import * as api from '../../api/client';
import type { AutoMLRun, Job, JobMetrics, MetricPoint, Sweep, SweepTrial } from '../../api/client';
import { isJobEnded } from '../../api/statuses';
import { PolledModel } from '../../models/base';
import { ServiceEvents, addEventKind } from '../../models/events';
import { IListQuery, ListModel } from '../../models/list';

/** What the server says when a sweep's trial changes state (`.../jupyter_mlservice/sweep`). */
export interface ISweepEvent {
  sweep_id: string;
  trial: number | null;
  state: string | null;
  job_id: string | null;
}

declare module '../../models/events' {
  interface IServiceEventMap {
    sweep: ISweepEvent;
  }
}
addEventKind('sweep', 'sweep_id');

/** The job kinds this area lists: a sweep's parent job, an AutoML run's. */
export type SearchKind = 'sweep' | 'automl';
export const SEARCH_KINDS: ReadonlyArray<SearchKind> = ['sweep', 'automl'];

export function isSearchKind(kind: string | undefined | null): kind is SearchKind {
  return kind === 'sweep' || kind === 'automl';
}

/** The list's filters (GET /jobs takes them): a kind (null: both) and a status. */
export type SearchFilter = { kind: string | null; status: string | null };

/** What a list row shows of a sweep or an AutoML run beyond its job. */
export interface ISearchSummary {
  /** "maximize val_f1", "auc". */
  objective: string;
  /** The best objective so far, or null. */
  best: number | null;
  /** Trials done (ended), and at most (sweeps: max_trials; AutoML: unknown). */
  done: number;
  max: number | null;
}

/** A sweep's summary for the list. */
export function sweepSummary(sweep: Sweep): ISearchSummary {
  const ended = ['completed', 'pruned', 'failed', 'canceled'];
  const done = Object.entries(sweep.counts ?? {})
    .filter(([state]) => ended.includes(state))
    .reduce((sum, [, n]) => sum + n, 0);
  return {
    objective: `${sweep.spec.objective.goal ?? 'maximize'} ${sweep.spec.objective.metric}`,
    best: sweep.best_trial?.value ?? null,
    done,
    max: sweep.spec.limits?.max_trials ?? null
  };
}

/** An AutoML run's summary for the list. */
export function automlSummary(run: AutoMLRun): ISearchSummary {
  return { objective: run.spec.primary_metric ?? '', best: run.best_score ?? null, done: run.trials, max: null };
}

/**
 * Sweeps and AutoML runs, newest first, a page at a time (GET /jobs?kind=sweep,automl), each with
 * its objective, best so far and trials, read for the page shown. Refreshed on their jobs' events
 * and their trials' (sweep events), polled slowly otherwise.
 */
export class SearchesModel extends ListModel<Job, SearchFilter> {
  constructor(options: SearchesModel.IOptions = {}) {
    super({ name: 'mlservice:sweeps', ...options });
    const events = options.events ?? new ServiceEvents(null);
    const refresh = () => void this.refresh().catch(() => undefined);
    this.own(
      events.on('job', event => isSearchKind(event.kind) && refresh()),
      events.on('sweep', refresh)
    );
  }

  key(job: Job): string {
    return job.id;
  }

  /** The summary of a sweep or AutoML run on the page, once read. */
  summary(id: string): ISearchSummary | null {
    return this._summaries.get(id) ?? null;
  }

  async cancel(job: Job): Promise<void> {
    await (job.kind === 'automl' ? api.cancelAutoMLRun(job.id) : api.cancelSweep(job.id));
    await this.refresh();
  }

  protected fetchPage(query: IListQuery<SearchFilter>): Promise<api.IPage<Job>> {
    const { kind, status } = query.filter;
    return api.listJobs({ kind: kind || SEARCH_KINDS.join(','), status, limit: query.limit, cursor: query.cursor });
  }

  protected async afterFetch(): Promise<void> {
    const next = new Map<string, ISearchSummary>();
    await Promise.all(
      this.items.map(async job => {
        try {
          next.set(job.id, job.kind === 'automl' ? automlSummary(await api.getAutoMLRun(job.id)) : sweepSummary(await api.getSweep(job.id)));
        } catch {
          // Deleted meanwhile, or not readable yet: the row shows its job only.
        }
      })
    );
    this._summaries = next;
  }

  private _summaries = new Map<string, ISearchSummary>();
}

export namespace SearchesModel {
  export interface IOptions extends ListModel.IOptions<SearchFilter> {
    events?: ServiceEvents;
  }
}

/**
 * A sweep or an AutoML run, open in its view (the link /lab/mlservice/sweeps/<id> says which it
 * is only through its job's kind, read first). Refreshed on its job's events and its trials'.
 */
export class SearchDetailModel extends PolledModel {
  constructor(options: SearchDetailModel.IOptions) {
    super({ name: `mlservice:sweep:${options.id}`, ...options });
    this.id = options.id;
    const events = options.events ?? new ServiceEvents(null);
    const refresh = () => void this.refresh().catch(() => undefined);
    this.own(
      events.on('job', event => event.job_id === this.id && refresh()),
      events.on('sweep', event => event.sweep_id === this.id && refresh())
    );
  }

  readonly id: string;

  /** The parent job (status, run, times), once read. */
  get job(): Job | null {
    return this._sweep?.job ?? this._automl?.job ?? this._job;
  }

  get kind(): SearchKind | null {
    return this._kind;
  }

  get sweep(): Sweep | null {
    return this._sweep;
  }

  get automl(): AutoMLRun | null {
    return this._automl;
  }

  /** AutoML: the best score over search time (the parent run's `best_<metric>`, x in seconds). */
  get bestCurve(): { metric: string; points: MetricPoint[] } | null {
    return this._curve;
  }

  /** Not a sweep or an AutoML run: the job's kind (the view says so). */
  get otherKind(): string | null {
    return this._otherKind;
  }

  async cancel(): Promise<void> {
    if (this._kind === 'automl') {
      this._automl = await api.cancelAutoMLRun(this.id);
    } else {
      this._sweep = await api.cancelSweep(this.id);
    }
    this.emitChanged();
  }

  protected async fetch(): Promise<void> {
    if (this._kind === null) {
      const job = await this.unlessGone(() => api.getJob(this.id));
      if (!job) {
        return;
      }
      this._job = job;
      if (!isSearchKind(job.kind)) {
        this._otherKind = job.kind;
        await this.poll.stop();
        return;
      }
      this._kind = job.kind;
    }
    if (this._kind === 'sweep') {
      this._sweep = await this.unlessGone(() => api.getSweep(this.id));
      return;
    }
    this._automl = await this.unlessGone(() => api.getAutoMLRun(this.id));
    if (this._automl && (this._curve === null || !isJobEnded(this._automl.job.status))) {
      this._curve = bestCurve(await api.getJobMetrics(this.id));
    }
  }

  private _job: Job | null = null;
  private _kind: SearchKind | null = null;
  private _otherKind: string | null = null;
  private _sweep: Sweep | null = null;
  private _automl: AutoMLRun | null = null;
  private _curve: { metric: string; points: MetricPoint[] } | null = null;
}

export namespace SearchDetailModel {
  export interface IOptions extends PolledModel.IOptions {
    id: string;
    events?: ServiceEvents;
  }
}

/** The AutoML parent run's best-so-far history (`best_<metric>`, steps in ms of search) in seconds. */
export function bestCurve(metrics: JobMetrics): { metric: string; points: MetricPoint[] } | null {
  const name = Object.keys(metrics.metrics ?? {}).find(m => m.startsWith('best_'));
  if (!name) {
    return null;
  }
  return { metric: name, points: metrics.metrics[name].map(p => ({ ...p, step: p.step / 1000 })) };
}

/**
 * A sweep's trials, all of them (the route is not paged): the view sorts them by any column
 * (a metric, a parameter) and searches them. Refreshed on the sweep's trial events.
 */
export class SweepTrialsModel extends ListModel<SweepTrial> {
  constructor(options: SweepTrialsModel.IOptions) {
    super({ name: `mlservice:sweep-trials:${options.id}`, pageSize: 1000, ...options });
    this.id = options.id;
    const events = options.events ?? new ServiceEvents(null);
    const refresh = () => void this.refresh().catch(() => undefined);
    this.own(
      events.on('sweep', event => event.sweep_id === this.id && refresh()),
      events.on('job', event => event.job_id === this.id && refresh())
    );
  }

  readonly id: string;

  key(trial: SweepTrial): string {
    return String(trial.number);
  }

  /** Names of every metric the trials logged, sorted. */
  get metricNames(): string[] {
    return [...new Set(this.items.flatMap(t => Object.keys(t.metrics ?? {})))].sort();
  }

  protected async fetchPage(): Promise<api.IPage<SweepTrial>> {
    return { items: (await api.listSweepTrials(this.id)).items, next_cursor: null };
  }
}

export namespace SweepTrialsModel {
  export interface IOptions extends ListModel.IOptions {
    id: string;
    events?: ServiceEvents;
  }
}

/**
 * Where a job's sweep view is, if it has one: a sweep's or AutoML run's parent job opens its own
 * (`of: 'self'`), a sweep's trial its parent's (`of: 'trial'`, with the trial's number), an AutoML
 * search or final job its run's (`of: 'automl'`). For the Jobs view's link.
 */
export function sweepPathOf(
  job: Pick<Job, 'id' | 'kind' | 'parent_id' | 'tags'>
): { path: string; of: 'self' | 'trial' | 'automl'; trial: string | null } | null {
  if (isSearchKind(job.kind)) {
    return { path: `sweeps/${encodeURIComponent(job.id)}`, of: 'self', trial: null };
  }
  const tags = job.tags ?? {};
  if (job.parent_id && 'mlservice.sweep_trial' in tags) {
    return { path: `sweeps/${encodeURIComponent(job.parent_id)}`, of: 'trial', trial: tags['mlservice.sweep_trial'] };
  }
  if (job.parent_id && 'mlservice.automl_role' in tags) {
    return { path: `sweeps/${encodeURIComponent(job.parent_id)}`, of: 'automl', trial: null };
  }
  return null;
}
