
import * as api from '../../api/client';
import type { Experiment, Run, RunMetrics } from '../../api/client';
import { isJobEnded } from '../../api/statuses';
import { PolledModel } from '../../models/base';
import { ServiceEvent, ServiceEvents } from '../../models/events';
import { IListQuery, ISort, ListModel, fetchAll } from '../../models/list';

/** Where the job id of a run is kept among its MLflow tags. */
export const JOB_ID_TAG = 'mlservice.job_id';

export function jobIdOfRun(run: Run): string | null {
  return run.tags?.[JOB_ID_TAG] ?? null;
}

/** A job event that changes what runs show: a run starts, or ends. */
function movesRuns(event: ServiceEvent.IJob): boolean {
  return isJobEnded(event.status) || event.status === 'Running';
}

/** The sort key of a metric's column in the runs list. */
export function metricColumn(metric: string): string {
  return `metric:${metric}`;
}

/**
 * The Experiments area: MLflow experiments, a page at a time. Refreshed when a
 * job starts or ends (its run lands in an experiment), polled slowly otherwise.
 */
export class ExperimentsModel extends ListModel<Experiment> {
  constructor(options: ExperimentsModel.IOptions = {}) {
    super({ name: 'mlservice:experiments', pageSize: 50, ...options });
    this.own((options.events ?? new ServiceEvents(null)).on('job', event => {
      if (movesRuns(event)) {
        void this.refresh().catch(() => undefined);
      }
    }));
  }

  key(experiment: Experiment): string {
    return experiment.experiment_id;
  }

  protected fetchPage(query: IListQuery<Record<string, string | null>>): Promise<api.IPage<Experiment>> {
    return api.listExperiments({ limit: query.limit, cursor: query.cursor });
  }

}

export namespace ExperimentsModel {
  export interface IOptions extends ListModel.IOptions {
    events?: ServiceEvents;
  }
}

/**
 * The runs of one experiment, a page at a time, sorted on the server by start
 * time or any metric (an indexed query: fast on big experiments).
 */
export class RunsModel extends ListModel<Run> {
  constructor(options: RunsModel.IOptions) {
    super({
      name: `mlservice:runs:${options.experimentId}`,
      pageSize: 50,
      sort: { column: 'start', descending: true },
      ...options
    });
    this.experimentId = options.experimentId;
    this.own((options.events ?? new ServiceEvents(null)).on('job', event => {
      if (movesRuns(event)) {
        void this.refresh().catch(() => undefined);
      }
    }));
  }

  readonly experimentId: string;

  key(run: Run): string {
    return run.run_id;
  }

  /** The experiment itself (its name), once read. */
  get experiment(): Experiment | null {
    return this._experiment;
  }

  /** Every metric name seen on the listed runs (and earlier pages), sorted. */
  get metricNames(): string[] {
    return [...this._metrics].sort();
  }

  get serverSorts(): ReadonlySet<string> {
    return new Set(['start', ...[...this._metrics].map(metricColumn)]);
  }

  /** The `order_by` clause the server understands (MLflow search syntax), for a sort. */
  static orderBy(sort: ISort | null): string {
    const metric = sort?.column.startsWith('metric:') ? sort.column.slice('metric:'.length) : null;
    const key = metric ? `metrics.\`${metric}\`` : 'attributes.start_time';
    return `${key} ${sort && !sort.descending ? 'ASC' : 'DESC'}`;
  }

  protected async fetchPage(query: IListQuery<Record<string, string | null>>): Promise<api.IPage<Run>> {
    const page = await api.listRuns(this.experimentId, {
      order_by: RunsModel.orderBy(query.sort),
      limit: query.limit,
      cursor: query.cursor
    });
    // Metric names stay offered even when the sort pushes runs without them away.
    page.items.forEach(run => Object.keys(run.metrics ?? {}).forEach(name => this._metrics.add(name)));
    return page;
  }

  protected async afterFetch(): Promise<void> {
    if (!this._experiment) {
      const all = await fetchAll(query => api.listExperiments(query), 10);
      this._experiment = all.find(e => e.experiment_id === this.experimentId) ?? null;
    }
  }

  private _experiment: Experiment | null = null;
  private _metrics = new Set<string>();
}

export namespace RunsModel {
  export interface IOptions extends ListModel.IOptions {
    experimentId: string;
    events?: ServiceEvents;
  }
}

/** One run: what MLflow holds of it (name, status, tags), its params and each metric's history. */
export class RunDetailModel extends PolledModel {
  constructor(options: RunDetailModel.IOptions) {
    super({ name: `mlservice:run:${options.runId}`, ...options });
    this.experimentId = options.experimentId;
    this.runId = options.runId;
    this.own((options.events ?? new ServiceEvents(null)).on('job', event => {
      if (this._run && jobIdOfRun(this._run) === event.job_id) {
        void this.refresh().catch(() => undefined);
      }
    }));
  }

  readonly experimentId: string;
  readonly runId: string;

  get run(): Run | null {
    return this._run;
  }

  get metrics(): RunMetrics | null {
    return this._metrics;
  }

  protected async fetch(): Promise<void> {
    const [runs, metrics] = await Promise.all([
      api.listRuns(this.experimentId, { filter: `attributes.run_id = '${this.runId.replace(/'/g, '')}'`, limit: 1 }),
      api.getRunMetrics(this.runId)
    ]);
    this._run = runs.items[0] ?? null;
    this._metrics = metrics;
  }

  private _run: Run | null = null;
  private _metrics: RunMetrics | null = null;
}

export namespace RunDetailModel {
  export interface IOptions extends PolledModel.IOptions {
    experimentId: string;
    runId: string;
    events?: ServiceEvents;
  }
}
