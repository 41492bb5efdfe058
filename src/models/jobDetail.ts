import * as api from '../api/client';
import type { Artifact, Job, JobMetrics, JobProgress } from '../api/client';
import { IJobEvent, JobEvents } from './events';
import { PolledModel } from './base';

/** Keep at most this much of a log in memory; the head is dropped first. */
const MAX_LOG_CHARS = 2_000_000;

/**
 * One job's summary, log tail, metrics and artifacts. Polls quickly while the
 * job runs, and stops once it has ended and the whole log was read.
 */
export class JobDetailModel extends PolledModel {
  constructor(options: JobDetailModel.IOptions) {
    super({ interval: 2000, maxInterval: 10000, name: `mlservice:job:${options.id}`, ...options });
    this.id = options.id;
    this._events = options.events ?? null;
    this._events?.changed.connect(this._onJobEvent, this);
  }

  readonly id: string;

  get job(): Job | null {
    return this._job;
  }

  get log(): string {
    return this._log;
  }

  get logComplete(): boolean {
    return this._logComplete;
  }

  get metrics(): JobMetrics | null {
    return this._metrics;
  }

  /** Live progress of a batch or notebook job (mini-batches and rows/s, or cells), or null. */
  get progress(): JobProgress | null {
    return this._progress;
  }

  get artifacts(): ReadonlyArray<Artifact> {
    return this._artifacts;
  }

  /** True once the job ended and everything about it has been read. */
  get settled(): boolean {
    return this._settled;
  }

  /** The executed notebook's artifact path, for notebook jobs that have one. */
  get executedNotebook(): string | null {
    if (this._job?.kind !== 'notebook') {
      return null;
    }
    const found = this._artifacts.find(a => !a.is_dir && a.path.endsWith('.ipynb'));
    return found ? found.path : null;
  }

  async cancel(): Promise<void> {
    this._job = await api.cancelJob(this.id);
    this.emitChanged();
    await this.refresh();
  }

  async rerun(): Promise<Job> {
    return api.rerunJob(this.id);
  }

  artifactUrl(path: string): string {
    return api.jobArtifactUrl(this.id, path);
  }

  fetchArtifact(path: string): Promise<string> {
    return api.fetchJobArtifact(this.id, path);
  }

  dispose(): void {
    this._events?.changed.disconnect(this._onJobEvent, this);
    super.dispose();
  }

  protected async fetch(): Promise<void> {
    if (this._settled) {
      return;
    }
    const job = await api.getJob(this.id);
    this._job = job;
    const ended = api.TERMINAL_STATUSES.has(job.status);
    await this._readLog();
    if ((job.kind === 'batch' || job.kind === 'notebook') && job.status !== 'Queued') {
      // Read while it runs, and once more at the end for the final figures.
      try {
        this._progress = await api.getJobProgress(this.id);
      } catch {
        // Not written yet; try again next tick.
      }
    }
    if (job.run_id || ended) {
      try {
        this._metrics = await api.getJobMetrics(this.id);
      } catch {
        // Metrics show up once the MLflow run exists; try again next tick.
      }
    }
    if (ended || job.status === 'Finalizing') {
      try {
        this._artifacts = (await api.listJobArtifacts(this.id)).items;
      } catch {
        this._artifacts = [];
      }
    }
    if (ended && this._logComplete) {
      this._settled = true;
      this.poll.stop().catch(() => undefined);
    }
  }

  private async _readLog(): Promise<void> {
    // Read what is there now, in as many chunks as the server sends (bounded).
    for (let i = 0; i < 20; i++) {
      const chunk = await api.getJobLogs(this.id, this._logOffset);
      if (chunk.text) {
        this._log += chunk.text;
        if (this._log.length > MAX_LOG_CHARS) {
          this._log = this._log.slice(this._log.length - MAX_LOG_CHARS);
        }
      }
      const advanced = chunk.offset > this._logOffset;
      this._logOffset = chunk.offset;
      this._logComplete = chunk.complete;
      if (chunk.complete || !advanced || chunk.offset >= chunk.size) {
        break;
      }
    }
  }

  private _onJobEvent(_: unknown, event: IJobEvent): void {
    if (event.job_id !== this.id) {
      return;
    }
    if (this._settled && api.TERMINAL_STATUSES.has(event.status)) {
      return;
    }
    // A re-run of a settled job is a new job; this one only restarts on e.g. a retry.
    this._settled = false;
    void this.poll.start().then(() => this.refresh()).catch(() => undefined);
  }

  private _job: Job | null = null;
  private _log = '';
  private _logOffset = 0;
  private _logComplete = false;
  private _metrics: JobMetrics | null = null;
  private _progress: JobProgress | null = null;
  private _artifacts: Artifact[] = [];
  private _settled = false;
  private _events: JobEvents | null;
}

export namespace JobDetailModel {
  export interface IOptions extends PolledModel.IOptions {
    id: string;
    events?: JobEvents | null;
  }
}
