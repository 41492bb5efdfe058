/**
 * The Pipelines area's models: pipeline runs newest first, one run open in its view (its steps'
 * statuses follow the server's pipeline events), and the graph of a *.pipeline.yaml file. The
 * only files of the area that call the API.
 */
import * as api from '../../api/client';
import type { PipelineGraph, PipelineRun, PipelineStepView } from '../../api/client';
import { isJobEnded } from '../../api/statuses';
import { PolledModel } from '../../models/base';
import { ServiceEvents, addEventKind } from '../../models/events';
import { IListQuery, ListModel } from '../../models/list';

/** What the server says when a step of a run changes state, or the run ends (`step` null). */
export interface IPipelineEvent {
  pipeline_id: string;
  step: string | null;
  state: string;
  job_id: string | null;
}

declare module '../../models/events' {
  interface IServiceEventMap {
    pipeline: IPipelineEvent;
  }
}
addEventKind('pipeline', 'pipeline_id');

/** A step's states, as the server names them. */
export const STEP_STATES = ['pending', 'running', 'completed', 'reused', 'failed', 'canceled', 'skipped'] as const;

/** What a list row says of a run's steps. */
export interface IStepCounts {
  /** Steps whose outputs exist: completed or reused. */
  done: number;
  total: number;
  reused: number;
  failed: number;
}

export function stepCounts(steps: ReadonlyArray<Pick<PipelineStepView, 'status'>>): IStepCounts {
  const count = (...states: string[]) => steps.filter(s => states.includes(s.status ?? 'pending')).length;
  return { done: count('completed', 'reused'), total: steps.length, reused: count('reused'), failed: count('failed') };
}

/** Whether a run can still be canceled. */
export function isCancelable(run: Pick<PipelineRun, 'status'>): boolean {
  return !isJobEnded(run.status) && run.status !== 'CancelRequested';
}

/** A run's name as lists show it: its display name, else its pipeline's name. */
export function runName(run: Pick<PipelineRun, 'display_name' | 'name'>): string {
  return run.display_name || run.name;
}

/** The job a step's node opens: the one it ran, else the one whose outputs it reused. */
export function stepJob(step: Pick<PipelineStepView, 'job_id' | 'reused_from'>): string | null {
  return step.job_id || step.reused_from || null;
}

/**
 * Pipeline runs, newest first, a page at a time (GET /pipelines). Refreshed on pipeline events
 * and on the events of pipeline jobs, polled slowly otherwise.
 */
export class PipelinesModel extends ListModel<PipelineRun> {
  constructor(options: PipelinesModel.IOptions = {}) {
    super({ name: 'mlservice:pipelines', ...options });
    const events = options.events ?? new ServiceEvents(null);
    const refresh = () => void this.refresh().catch(() => undefined);
    this.own(
      events.on('pipeline', refresh),
      events.on('job', event => event.kind === 'pipeline' && refresh())
    );
  }

  key(run: PipelineRun): string {
    return run.id;
  }

  async cancel(id: string): Promise<PipelineRun> {
    const run = await api.cancelPipelineRun(id);
    this.replace(run);
    return run;
  }

  /** A new run of `id`; with `fromStep`, only that step and what is downstream run again. */
  async rerun(id: string, fromStep: string | null): Promise<PipelineRun> {
    const run = await api.rerunPipeline(id, fromStep);
    void this.refresh().catch(() => undefined);
    return run;
  }

  getRun(id: string): Promise<PipelineRun> {
    return api.getPipelineRun(id);
  }

  /** The latest runs (any page), for pickers. */
  async latest(limit = 50): Promise<PipelineRun[]> {
    return (await api.listPipelineRuns({ limit })).items;
  }

  protected fetchPage(query: IListQuery<Record<string, string | null>>): Promise<api.IPage<PipelineRun>> {
    return api.listPipelineRuns({ limit: query.limit, cursor: query.cursor });
  }
}

export namespace PipelinesModel {
  export interface IOptions extends ListModel.IOptions {
    events?: ServiceEvents;
  }
}

/**
 * One pipeline run, open in its view (/lab/mlservice/pipelines/<id>): its steps' statuses follow
 * the run's pipeline events and its job's events.
 */
export class PipelineRunModel extends PolledModel {
  constructor(options: PipelineRunModel.IOptions) {
    super({ name: `mlservice:pipeline:${options.id}`, ...options });
    this.id = options.id;
    const events = options.events ?? new ServiceEvents(null);
    const refresh = () => void this.refresh().catch(() => undefined);
    const steps = () => new Set((this._run?.steps ?? []).map(s => s.job_id).filter(Boolean));
    this.own(
      events.on('pipeline', event => event.pipeline_id === this.id && refresh()),
      events.on('job', event => (event.job_id === this.id || steps().has(event.job_id)) && refresh())
    );
  }

  readonly id: string;

  get run(): PipelineRun | null {
    return this._run;
  }

  async cancel(): Promise<void> {
    this._run = await api.cancelPipelineRun(this.id);
    this.emitChanged();
  }

  /** Start a new run from `step` (null: every step); answers the new run. */
  rerun(step: string | null): Promise<PipelineRun> {
    return api.rerunPipeline(this.id, step);
  }

  protected async fetch(): Promise<void> {
    const run = await this.unlessGone(() => api.getPipelineRun(this.id));
    if (run) {
      this._run = run;
    }
  }

  private _run: PipelineRun | null = null;
}

export namespace PipelineRunModel {
  export interface IOptions extends PolledModel.IOptions {
    id: string;
    events?: ServiceEvents;
  }
}

/**
 * The graph of a *.pipeline.yaml file (read-only): its text, as `read` gives it, is checked and
 * drawn by the server. What the server finds wrong (a 400: an unknown step, a cycle) is the
 * model's `problem`, shown in place of the graph; other errors are the model's `error`.
 */
export class PipelineFileModel extends PolledModel {
  constructor(options: PipelineFileModel.IOptions) {
    // Refreshed when the file is saved; the poll is only a fallback.
    super({ name: `mlservice:pipeline-file:${options.path}`, interval: 60000, ...options });
    this.path = options.path;
    this._read = options.read;
  }

  readonly path: string;

  get graph(): PipelineGraph | null {
    return this._graph;
  }

  get problem(): string | null {
    return this._problem;
  }

  protected async fetch(): Promise<void> {
    const text = await this._read();
    try {
      this._graph = await api.drawPipeline(text);
      this._problem = null;
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 400 || status === 422) {
        this._graph = null;
        this._problem = (error as Error).message;
        return;
      }
      throw error;
    }
  }

  private _read: () => Promise<string>;
  private _graph: PipelineGraph | null = null;
  private _problem: string | null = null;
}

export namespace PipelineFileModel {
  export interface IOptions extends PolledModel.IOptions {
    path: string;
    /** The file's text now. */
    read: () => Promise<string>;
  }
}

/** The tag the server puts on a step's job: the step's name. */
const STEP_TAG = 'mlservice.pipeline_step';

/**
 * Where a job's pipeline view is, if it has one: a pipeline run's parent job opens its own
 * (`step` null), a step's job its run's (with the step's name). For the Jobs view's link.
 */
export function pipelinePathOf(
  job: Pick<PipelineRun['job'], 'id' | 'kind' | 'parent_id' | 'tags'>
): { path: string; step: string | null } | null {
  if (job.kind === 'pipeline') {
    return { path: `pipelines/${encodeURIComponent(job.id)}`, step: null };
  }
  const step = (job.tags ?? {})[STEP_TAG];
  if (job.parent_id && step) {
    return { path: `pipelines/${encodeURIComponent(job.parent_id)}`, step };
  }
  return null;
}
