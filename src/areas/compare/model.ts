import * as api from '../../api/client';
import type { MetricPoint } from '../../api/client';
import { PolledModel } from '../../models/base';
import type { ICompareRun } from '../../studio/model';

/** One compared run: its params and the last value of each metric. */
export interface IComparedRun extends ICompareRun {
  params: Record<string, string>;
  /** The last value logged of each metric (by step, then time). */
  metrics: Record<string, number>;
}

/** The last point of a history: the highest step, the latest of that step. */
function lastValue(points: ReadonlyArray<MetricPoint>): number | undefined {
  let last: MetricPoint | undefined;
  for (const p of points) {
    if (!last || p.step > last.step || (p.step === last.step && p.timestamp >= last.timestamp)) {
      last = p;
    }
  }
  return last?.value;
}

/**
 * Runs of any experiments side by side: their params, each metric's last value,
 * and each metric's history overlaid (read once: ended runs do not change, and
 * a refresh reads running ones again).
 */
export class CompareModel extends PolledModel {
  constructor(options: CompareModel.IOptions) {
    super({ interval: 60000, name: 'mlservice:compare', ...options });
    this.runs = options.runs;
  }

  readonly runs: ReadonlyArray<ICompareRun>;

  /** The runs read so far, in the order they were picked. */
  get compared(): ReadonlyArray<IComparedRun> {
    return this._compared;
  }

  /** metric name -> run id -> points. */
  get histories(): ReadonlyMap<string, ReadonlyMap<string, MetricPoint[]>> {
    return this._histories;
  }

  /** Param names in any run, sorted; the rows of the params table. */
  get paramNames(): string[] {
    const names = new Set<string>();
    this._compared.forEach(run => Object.keys(run.params).forEach(n => names.add(n)));
    return [...names].sort();
  }

  /** Metric names in any run, sorted. */
  get metricNames(): string[] {
    return [...this._histories.keys()].sort();
  }

  /** Params whose value is not the same in every run. */
  get differingParams(): Set<string> {
    return new Set(this.paramNames.filter(name => new Set(this._compared.map(run => run.params[name])).size > 1));
  }

  /** Runs the server could not read (deleted, or not an MLflow run), with why. */
  get missing(): ReadonlyArray<{ run: ICompareRun; error: string }> {
    return this._missing;
  }

  protected async fetch(): Promise<void> {
    const histories = new Map<string, Map<string, MetricPoint[]>>();
    const compared: IComparedRun[] = [];
    const missing: { run: ICompareRun; error: string }[] = [];
    const results = await Promise.all(
      this.runs.map(run =>
        api.getRunMetrics(run.run_id).then(
          metrics => ({ run, metrics, error: null }),
          error => ({ run, metrics: null, error: (error as Error).message })
        )
      )
    );
    for (const { run, metrics, error } of results) {
      if (!metrics) {
        missing.push({ run, error: error ?? '' });
        continue;
      }
      const last: Record<string, number> = {};
      for (const [name, points] of Object.entries(metrics.metrics)) {
        if (!histories.has(name)) {
          histories.set(name, new Map());
        }
        histories.get(name)!.set(run.run_id, points);
        const value = lastValue(points);
        if (value !== undefined) {
          last[name] = value;
        }
      }
      compared.push({ ...run, params: metrics.params ?? {}, metrics: last });
    }
    this._histories = histories;
    this._compared = compared;
    this._missing = missing;
  }

  private _compared: IComparedRun[] = [];
  private _histories = new Map<string, Map<string, MetricPoint[]>>();
  private _missing: { run: ICompareRun; error: string }[] = [];
}

export namespace CompareModel {
  export interface IOptions extends PolledModel.IOptions {
    runs: ReadonlyArray<ICompareRun>;
  }
}
