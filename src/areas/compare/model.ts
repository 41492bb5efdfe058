import * as api from '../api/client';
import type { MetricPoint, Run } from '../api/client';
import { PolledModel } from './base';

/** Where the job id of a run is kept among its MLflow tags. */
export const JOB_ID_TAG = 'mlservice.job_id';

export function jobIdOfRun(run: Run): string | null {
  const direct = (run as { job_id?: string | null }).job_id;
  return direct ?? run.tags?.[JOB_ID_TAG] ?? null;
}

/**
 * Several runs side by side: their params, and each metric's history
 * (fetched through the run's job; a run without a job shows its last value).
 */
export class CompareModel extends PolledModel {
  constructor(options: CompareModel.IOptions) {
    super({ interval: 60000, name: 'mlservice:compare', ...options });
    this.runs = options.runs;
  }

  readonly runs: ReadonlyArray<Run>;

  /** metric name -> run id -> points. */
  get histories(): ReadonlyMap<string, ReadonlyMap<string, MetricPoint[]>> {
    return this._histories;
  }

  /** Param names in any run, sorted; the rows of the params table. */
  get paramNames(): string[] {
    const names = new Set<string>();
    this.runs.forEach(run => Object.keys(run.params ?? {}).forEach(n => names.add(n)));
    return [...names].sort();
  }

  /** Params whose value is not the same in every run. */
  get differingParams(): Set<string> {
    return new Set(
      this.paramNames.filter(
        name => new Set(this.runs.map(run => run.params?.[name])).size > 1
      )
    );
  }

  protected async fetch(): Promise<void> {
    const histories = new Map<string, Map<string, MetricPoint[]>>();
    const put = (metric: string, runId: string, points: MetricPoint[]) => {
      if (!histories.has(metric)) {
        histories.set(metric, new Map());
      }
      histories.get(metric)!.set(runId, points);
    };
    await Promise.all(
      this.runs.map(async run => {
        const jobId = jobIdOfRun(run);
        if (jobId) {
          try {
            const metrics = await api.getJobMetrics(jobId);
            for (const [name, points] of Object.entries(metrics.metrics)) {
              put(name, run.run_id, points);
            }
            return;
          } catch {
            // fall back to the last values below
          }
        }
        for (const [name, value] of Object.entries(run.metrics ?? {})) {
          put(name, run.run_id, [
            { step: 0, value: value as number, timestamp: run.end_time ?? 0 }
          ]);
        }
      })
    );
    this._histories = histories;
    // Ended runs do not change: one fetch is enough.
    this.poll.stop().catch(() => undefined);
  }

  private _histories = new Map<string, Map<string, MetricPoint[]>>();
}

export namespace CompareModel {
  export interface IOptions extends PolledModel.IOptions {
    runs: ReadonlyArray<Run>;
  }
}
