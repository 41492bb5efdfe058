import { Poll } from '@lumino/polling';

import * as api from '../../api/client';
import type { Artifact, Job, JobMetrics, JobProgress, JobSpec, LineageGraph } from '../../api/client';
import { isJobEnded } from '../../api/statuses';
import { PolledModel } from '../../models/base';
import { ServiceEvent, ServiceEvents } from '../../models/events';
import { IListQuery, ListModel } from '../../models/list';
import { hasJobData } from '../data/profile';

/** The Jobs list's filters (GET /jobs takes them). */
export type JobFilter = {
  /** One status, or several comma-separated. */
  status: string | null;
  target: string | null;
  experiment: string | null;
};

/** Listed statuses of a batch job whose progress is read (Preparing: the list may lag). */
const PROGRESSING: ReadonlySet<string> = new Set(['Preparing', 'Running']);

/**
 * Jobs, newest first, a page at a time: refreshed when the server pushes a job
 * event, polled slowly as a fallback. The progress of running batch jobs on the
 * page is read every few seconds, and only while there is one.
 */
export class JobsModel extends ListModel<Job, JobFilter> {
  constructor(options: JobsModel.IOptions = {}) {
    super({ name: 'mlservice:jobs', ...options });
    this._events = options.events ?? new ServiceEvents(null);
    this.own(this._events.on('job', () => void this.refresh().catch(() => undefined)));
    this._progressPoll = new Poll({
      auto: false,
      factory: () => this._fetchProgress(),
      frequency: { interval: options.progressInterval ?? 3000, backoff: true, max: 30000 },
      standby: 'when-hidden',
      name: 'mlservice:jobs-progress'
    });
    this.own(this._progressPoll);
  }

  key(job: Job): string {
    return job.id;
  }

  /** The latest progress of a running batch job on the page, or null. */
  progress(id: string): JobProgress | null {
    return this._progress.get(id) ?? null;
  }

  async submit(spec: Partial<JobSpec> & { kind: string }): Promise<Job> {
    const job = await api.submitJob(spec);
    this._events.emit('job', { job_id: job.id, status: job.status, target: job.target, experiment: job.experiment });
    return job;
  }

  async cancel(id: string): Promise<Job> {
    const job = await api.cancelJob(id);
    this.replace(job);
    this._events.emit('job', { job_id: job.id, status: job.status, target: job.target, experiment: job.experiment });
    return job;
  }

  async rerun(id: string): Promise<Job> {
    const job = await api.rerunJob(id);
    this._events.emit('job', { job_id: job.id, status: job.status, target: job.target, experiment: job.experiment });
    return job;
  }

  getJob(id: string): Promise<Job> {
    return api.getJob(id);
  }

  /** The latest jobs (any page), for pickers. */
  async latest(limit = 50, status?: string): Promise<Job[]> {
    return (await api.listJobs({ limit, status })).items;
  }

  /** The path of a job's executed notebook among its artifacts, or null. */
  async executedNotebook(id: string): Promise<string | null> {
    const artifacts = (await api.listJobArtifacts(id)).items;
    return artifacts.find(a => !a.is_dir && a.path.endsWith('.ipynb'))?.path ?? null;
  }

  fetchArtifact(id: string, path: string): Promise<string> {
    return api.fetchJobArtifact(id, path);
  }

  artifactUrl(id: string, path: string): string {
    return api.jobArtifactUrl(id, path);
  }

  protected fetchPage(query: IListQuery<JobFilter>): Promise<api.IPage<Job>> {
    return api.listJobs({ ...query.filter, limit: query.limit, cursor: query.cursor });
  }

  protected async afterFetch(): Promise<void> {
    await this._readProgress();
    if (this.isLive && this._watching) {
      void this._progressPoll.start().catch(() => undefined);
    }
  }

  /**
   * Read the progress of the batch jobs on the page that are (or may by now be) running: a
   * Preparing job is often Running by the time its progress is read (the progress reply is the
   * newer of the two). Returns whether one has ended meanwhile (the list is then refreshed).
   */
  private async _readProgress(): Promise<boolean> {
    const active = this.items.filter(j => j.kind === 'batch' && PROGRESSING.has(j.status));
    const next = new Map<string, JobProgress>();
    let ended = false;
    await Promise.all(
      active.map(async job => {
        try {
          const progress = await api.getJobProgress(job.id);
          if (progress.job_status === 'Running') {
            next.set(job.id, progress);
          } else if (!PROGRESSING.has(progress.job_status)) {
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
    this.setItems(this.items.map(j => (next.has(j.id) && j.status !== 'Running' ? { ...j, status: 'Running' } : j)));
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

  private _events: ServiceEvents;
  private _progress = new Map<string, JobProgress>();
  private _watching = false;
  private _progressPoll: Poll;
}

export namespace JobsModel {
  export interface IOptions extends ListModel.IOptions<JobFilter> {
    events?: ServiceEvents;
    /** How often running batch jobs' progress is read (ms). */
    progressInterval?: number;
  }
}

/** Keep at most this much of a log in memory; the head is dropped first. */
const MAX_LOG_CHARS = 2_000_000;

/**
 * One job's summary, log tail, metrics and artifacts. Polls quickly while the
 * job runs (its log has no events), and stops once it has ended and the whole
 * log was read; a job event about it (a retry) starts it again.
 */
export class JobDetailModel extends PolledModel {
  constructor(options: JobDetailModel.IOptions) {
    super({ interval: 2000, maxInterval: 10000, name: `mlservice:job:${options.id}`, ...options });
    this.id = options.id;
    if (options.events) {
      this.own(options.events.on('job', event => this._onJobEvent(event)));
    }
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

  /** The job's lineage edges (its data inputs and outputs), for jobs whose spec names some. */
  get lineage(): LineageGraph | null {
    return this._lineage;
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

  artifactUrl(path: string): string {
    return api.jobArtifactUrl(this.id, path);
  }

  protected async fetch(): Promise<void> {
    if (this._settled) {
      return;
    }
    const job = await this.unlessGone(() => api.getJob(this.id));
    if (!job) {
      return;
    }
    this._job = job;
    const ended = isJobEnded(job.status);
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
    if (hasJobData(job) && job.status !== 'Queued') {
      // Inputs are resolved (and recorded) when it starts; outputs registered when it completes.
      try {
        this._lineage = await api.getLineage({ type: 'job', id: this.id, direction: 'both', depth: 1 });
      } catch {
        // Read again next tick.
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

  private _onJobEvent(event: ServiceEvent.IJob): void {
    if (event.job_id !== this.id) {
      return;
    }
    if (this._settled && isJobEnded(event.status)) {
      return;
    }
    // A re-run of a settled job is a new job; this one only restarts on e.g. a retry.
    this._settled = false;
    void this.poll
      .start()
      .then(() => this.refresh())
      .catch(() => undefined);
  }

  private _job: Job | null = null;
  private _log = '';
  private _logOffset = 0;
  private _logComplete = false;
  private _metrics: JobMetrics | null = null;
  private _progress: JobProgress | null = null;
  private _artifacts: Artifact[] = [];
  private _lineage: LineageGraph | null = null;
  private _settled = false;
}

export namespace JobDetailModel {
  export interface IOptions extends PolledModel.IOptions {
    id: string;
    events?: ServiceEvents | null;
  }
}
