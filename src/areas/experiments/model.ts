import * as api from '../api/client';
import type { Experiment, Run } from '../api/client';
import { JobEvents } from './events';
import { PolledModel } from './base';

/** How runs are ordered: by a metric (server-side) or by start time. */
export interface IRunOrder {
  /** A metric name, or null for start time. */
  metric: string | null;
  descending: boolean;
}

/**
 * MLflow experiments, the runs of the selected one (sorted by any metric on
 * the server), and which runs the user picked to compare.
 */
export class ExperimentsModel extends PolledModel {
  constructor(options: ExperimentsModel.IOptions = {}) {
    super({ interval: 30000, name: 'mlservice:experiments', ...options });
    this.runLimit = options.runLimit ?? 100;
    this._events = options.events ?? null;
    this._events?.changed.connect(this._onJobEvent, this);
  }

  readonly runLimit: number;

  get experiments(): ReadonlyArray<Experiment> {
    return this._experiments;
  }

  get selectedExperiment(): string | null {
    return this._selected;
  }

  get runs(): ReadonlyArray<Run> {
    return this._runs;
  }

  get order(): Readonly<IRunOrder> {
    return this._order;
  }

  /** Every metric name seen on the listed runs, sorted. */
  get metricNames(): string[] {
    const names = new Set<string>(this._knownMetrics);
    for (const run of this._runs) {
      Object.keys(run.metrics ?? {}).forEach(name => names.add(name));
    }
    return [...names].sort();
  }

  /** Run ids picked for comparison, in the order they were picked. */
  get selection(): ReadonlyArray<string> {
    return [...this._selection];
  }

  /** The picked runs that are on the current list. */
  get selectedRuns(): Run[] {
    return this._runs.filter(run => this._selection.has(run.run_id));
  }

  async selectExperiment(experimentId: string | null): Promise<void> {
    this._userSelected = true;
    if (experimentId === this._selected) {
      return;
    }
    this._selected = experimentId;
    this._runs = [];
    this._selection.clear();
    this._knownMetrics.clear();
    this.emitChanged();
    await this.refresh();
  }

  async setOrder(order: IRunOrder): Promise<void> {
    this._order = { ...order };
    this.emitChanged();
    await this.refresh();
  }

  toggleRun(runId: string, selected?: boolean): void {
    const on = selected ?? !this._selection.has(runId);
    if (on) {
      this._selection.add(runId);
    } else {
      this._selection.delete(runId);
    }
    this.emitChanged();
  }

  clearSelection(): void {
    this._selection.clear();
    this.emitChanged();
  }

  /** The `order_by` clause the server understands (MLflow search syntax). */
  get orderBy(): string {
    const { metric, descending } = this._order;
    const key = metric ? `metrics.\`${metric}\`` : 'attributes.start_time';
    return `${key} ${descending ? 'DESC' : 'ASC'}`;
  }

  dispose(): void {
    this._events?.changed.disconnect(this._onJobEvent, this);
    super.dispose();
  }

  protected async fetch(): Promise<void> {
    const page = await api.listExperiments({ limit: 200 });
    this._experiments = page.items;
    if (
      this._selected === null ||
      !this._experiments.some(e => e.experiment_id === this._selected)
    ) {
      // Start with the experiment that changed last: usually the one just run.
      const changed = (e: Experiment) => Math.max(e.last_update_time ?? 0, e.creation_time ?? 0);
      const latest = [...this._experiments].sort((a, b) => changed(b) - changed(a))[0];
      this._selected = latest?.experiment_id ?? null;
    }
    if (this._selected !== null) {
      const runs = await api.listRuns(this._selected, {
        order_by: this.orderBy,
        limit: this.runLimit
      });
      this._runs = runs.items;
      this._runs.forEach(run =>
        Object.keys(run.metrics ?? {}).forEach(n => this._knownMetrics.add(n))
      );
    } else {
      this._runs = [];
    }
  }

  private _onJobEvent(_: unknown, event: { status: string; experiment?: string }): void {
    // Until the user picks one, follow the experiment of the job that just changed.
    if (!this._userSelected && event.experiment) {
      const match = this._experiments.find(e => e.name === event.experiment);
      if (match && match.experiment_id !== this._selected) {
        this._selected = match.experiment_id;
        this._runs = [];
        this._selection.clear();
        this._knownMetrics.clear();
        void this.refresh().catch(() => undefined);
        return;
      }
    }
    if (api.TERMINAL_STATUSES.has(event.status) || event.status === 'Running') {
      void this.refresh().catch(() => undefined);
    }
  }

  private _experiments: Experiment[] = [];
  private _selected: string | null = null;
  private _userSelected = false;
  private _runs: Run[] = [];
  private _order: IRunOrder = { metric: null, descending: true };
  private _selection = new Set<string>();
  // Metric names stay offered even when the sort pushes runs without them away.
  private _knownMetrics = new Set<string>();
  private _events: JobEvents | null;
}

export namespace ExperimentsModel {
  export interface IOptions extends PolledModel.IOptions {
    events?: JobEvents | null;
    runLimit?: number;
  }
}
