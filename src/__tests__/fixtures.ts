/**
 * Test data: one factory per entity (as the server answers it), overridable field by field,
 * and the helpers every spec needs (a mocked API module, a fake event stream, a fake uPlot).
 */
import type {
  Alert,
  EndpointSeries,
  Monitor,
  MonitorRun,
  PipelineRun,
  PipelineStepView,
  MonitorRunDetail,
  DataAsset,
  DataVersion,
  AutoMLRun,
  Deployment,
  Endpoint,
  Evaluation,
  Rollout,
  Trigger,
  TriggerFiring,
  Experiment,
  Job,
  ModelVersion,
  RegisteredModel,
  Run,
  Schedule,
  ScheduleRun,
  Sweep,
  SweepTrial,
  Target
} from '../api/client';

export function target(overrides: Partial<Target> = {}): Target {
  return {
    name: 'local',
    type: 'local',
    description: '',
    settings: {},
    created_at: '2025-01-01T00:00:00Z',
    capacity: 2,
    running: 0,
    queued: 0,
    status: {},
    ...overrides
  };
}

export function job(overrides: Partial<Job> = {}): Job {
  return {
    id: 'job1',
    kind: 'notebook',
    display_name: '',
    status: 'Running',
    target: 'local',
    experiment: 'Default',
    experiment_id: '1',
    run_id: 'run1',
    attempt: 1,
    max_retries: 0,
    timeout_s: null,
    exit_code: null,
    error: null,
    git_commit: null,
    tags: {},
    spec: {},
    attempts: [],
    created_at: '2025-01-01T00:00:00Z',
    started_at: null,
    ended_at: null,
    duration_s: 1.5,
    backend: {},
    ...overrides
  } as Job;
}

export function scheduleRun(overrides: Partial<ScheduleRun> = {}): ScheduleRun {
  return {
    id: 1,
    schedule: 'nightly',
    scheduled_time: '2026-11-28T02:00:00Z',
    trigger: 'schedule',
    state: 'submitted',
    job_id: 'job-1',
    job_status: 'Completed',
    reason: null,
    created_at: '2026-11-28T02:00:01Z',
    ...overrides
  };
}

export function schedule(overrides: Partial<Schedule> = {}): Schedule {
  return {
    id: 'sch-1',
    name: 'nightly',
    description: '',
    job: { kind: 'notebook', notebook: 'report.ipynb', parameters: {} },
    cron: '0 2 * * *',
    recurrence: null,
    time_zone: 'UTC',
    start_at: null,
    end_at: null,
    enabled: true,
    catch_up: 'latest',
    catch_up_limit: 10,
    max_concurrent_runs: 1,
    concurrency_policy: 'skip',
    next_run_at: '2026-11-29T02:00:00Z',
    next_runs: [],
    active_runs: 0,
    last_runs: [scheduleRun()],
    created_at: '2026-11-01T00:00:00Z',
    updated_at: '2026-11-01T00:00:00Z',
    ...overrides
  };
}

export function registeredModel(overrides: Partial<RegisteredModel> = {}): RegisteredModel {
  return {
    name: 'iris',
    description: '',
    tags: {},
    aliases: {},
    latest_version: '1',
    created_at: 1735689600000,
    updated_at: 1735689600000,
    ...overrides
  } as RegisteredModel;
}

export function modelVersion(overrides: Partial<ModelVersion> = {}): ModelVersion {
  return {
    name: 'iris',
    version: '1',
    source: 'models:/m-1',
    run_id: 'run1',
    status: 'READY',
    description: '',
    tags: {},
    aliases: [],
    created_at: 1735689600000,
    ...overrides
  } as ModelVersion;
}

export function endpoint(overrides: Partial<Endpoint> = {}): Endpoint {
  return {
    name: 'iris-ep',
    description: '',
    auth_mode: 'key',
    scoring_uri: 'http://127.0.0.1:9000/score',
    base_uri: 'http://127.0.0.1:9000',
    swagger_uri: 'http://127.0.0.1:9000/iris-ep/swagger.json',
    status: 'Healthy',
    traffic: {},
    mirror_traffic: {},
    deployments: [],
    created_at: '2025-01-01T00:00:00Z',
    ...overrides
  };
}

export function deployment(overrides: Partial<Deployment> = {}): Deployment {
  return {
    endpoint: 'iris-ep',
    name: 'blue',
    model: 'iris:1',
    model_name: 'iris',
    model_version: '1',
    scoring_script: null,
    replicas: 1,
    request_settings: { request_timeout_ms: 5000, max_concurrent_requests: 64, max_queue_wait_ms: 500, max_batch_size: 64 },
    environment_variables: {},
    status: 'Healthy',
    ready_workers: 1,
    traffic: 0,
    mirror_traffic: 0,
    created_at: '2025-01-01T00:00:00Z',
    updated_at: '2025-01-01T00:00:00Z',
    ...overrides
  };
}

export function experiment(overrides: Partial<Experiment> = {}): Experiment {
  return {
    experiment_id: '1',
    name: 'train',
    lifecycle_stage: 'active',
    creation_time: 1735689600000,
    last_update_time: 1735689600000,
    tags: {},
    ...overrides
  };
}

export function run(overrides: Partial<Run> = {}): Run {
  return {
    run_id: 'r1',
    run_name: 'r1-name',
    experiment_id: '1',
    status: 'FINISHED',
    start_time: 1735689600000,
    end_time: 1735689660000,
    metrics: {},
    params: {},
    tags: {},
    ...overrides
  };
}

export function dataAsset(overrides: Partial<DataAsset> = {}): DataAsset {
  return {
    name: 'iris',
    kind: 'file',
    description: '',
    tags: {},
    aliases: {},
    archived: false,
    latest_version: 1,
    version_count: 1,
    created_at: '2026-12-01T00:00:00Z',
    updated_at: '2026-12-01T00:00:00Z',
    ...overrides
  };
}

export function dataVersion(overrides: Partial<DataVersion> = {}): DataVersion {
  return {
    name: 'iris',
    version: 1,
    ref: 'data:iris@1',
    status: 'Ready',
    kind: 'file',
    mode: 'copy',
    source: 'iris.csv',
    path: '/ws/data/iris/1/iris.csv',
    url: null,
    sql: null,
    format: 'csv',
    digest: 'sha256:0123456789abcdef0123456789abcdef',
    size_bytes: 120,
    file_count: 1,
    row_count: 3,
    columns: [{ name: 'x', type: 'double' }],
    description: '',
    tags: {},
    aliases: [],
    archived: false,
    job_id: null,
    output_name: null,
    profile_status: null,
    profile_job_id: null,
    created_at: '2026-12-01T00:00:00Z',
    deduplicated: false,
    ...overrides
  };
}

/**
 * The API module with every request function a jest.fn() (types, errors and URL builders kept):
 * `jest.mock('../api/client', () => require('./fixtures').mockClient())`.
 */
export function mockClient(): Record<string, unknown> {
  const actual = jest.requireActual('../api/client');
  const keep = new Set(['apiUrl', 'jobArtifactUrl', 'MLServiceError']);
  return Object.fromEntries(
    Object.entries(actual).map(([name, value]) => [name, typeof value === 'function' && !keep.has(name) ? jest.fn() : value])
  );
}

/** A fake server event stream: the models only read `stream`. */
export function fakeEventManager(): { manager: any; emit: (data: Record<string, unknown>) => void } {
  const { Signal } = jest.requireActual('@lumino/signaling');
  const stream = new Signal({});
  return { manager: { stream }, emit: (data: Record<string, unknown>) => stream.emit(data) };
}

/** uPlot draws on a canvas jsdom lacks: this one only appends a canvas (a class: `resetAllMocks` keeps it). */
export function fakeUPlot(): { __esModule: true; default: unknown } {
  class UPlot {
    constructor(
      readonly options: unknown,
      public data: unknown,
      host: HTMLElement
    ) {
      host.appendChild(document.createElement('canvas'));
    }
    setData(data: unknown): void {
      this.data = data;
    }
    setSize(): void {
      // nothing to lay out
    }
    destroy(): void {
      // nothing to free
    }
  }
  return { __esModule: true, default: UPlot };
}

/** Let pending promises (a refresh started by an event) settle. */
export async function settle(ms = 0): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms));
}

/** A detail host for views rendered alone. */
export function detailHost(overrides: Record<string, unknown> = {}): any {
  return {
    link: 'http://localhost/lab/mlservice/x',
    open: jest.fn(),
    linkTo: (path: string) => `http://localhost/lab/mlservice/${path}`,
    copy: jest.fn(),
    ...overrides
  };
}

/** A sweep trial as GET /sweeps/{id}/trials answers it. */
export function sweepTrial(overrides: Partial<SweepTrial> = {}): SweepTrial {
  return {
    number: 0,
    job_id: 'trial-job-0',
    status: 'Completed',
    state: 'completed',
    params: { alpha: 0.01, kernel: 'rbf' },
    value: 0.5,
    last_step: 3,
    reason: null,
    run_id: 'trial-run-0',
    metrics: { val_f1: 0.5 },
    created_at: '2025-01-01T00:00:00Z',
    ended_at: '2025-01-01T00:00:05Z',
    duration_s: 5,
    ...overrides
  };
}

/** A sweep (its parent job, spec, counts and best trial). */
export function sweep(overrides: Partial<Sweep> = {}): Sweep {
  return {
    id: 'sweep1',
    job: job({ id: 'sweep1', kind: 'sweep', display_name: 'iris sweep', status: 'Running' }),
    spec: {
      trial: { kind: 'command', command: 'python train.py --alpha ${{search_space.alpha}}' },
      search_space: {
        alpha: { type: 'loguniform', low: 0.001, high: 1 },
        kernel: { type: 'choice', values: ['rbf', 'linear'] }
      },
      sampling: 'random',
      objective: { metric: 'val_f1', goal: 'maximize' },
      limits: { max_trials: 4, max_concurrent_trials: 2 },
      target: 'local',
      experiment: 'Default'
    },
    counts: { completed: 2, running: 1 },
    best_trial: null,
    ...overrides
  } as Sweep;
}

/** An AutoML run (its parent job, spec, leaderboard, importance). */
export function automlRun(overrides: Partial<AutoMLRun> = {}): AutoMLRun {
  return {
    id: 'automl1',
    job: job({ id: 'automl1', kind: 'automl', display_name: 'credit', status: 'Completed' }),
    spec: { task: 'classification', data: 'credit.csv', target_column: 'default', primary_metric: 'auc' },
    rows: 569,
    columns: 30,
    suggested_time_budget_s: 62,
    trials: 41,
    best_score: 0.99,
    best_model: { rank: 1, model: 'lightgbm', score: 0.99, params: { n_estimators: 4 } },
    best_model_job_id: 'final-job',
    leaderboard: [
      { rank: 1, model: 'lightgbm', score: 0.99, params: { n_estimators: 4 }, train_time_s: 0.2 },
      { rank: 2, model: 'random_forest', score: 0.97, params: { n_estimators: 10 }, train_time_s: 0.5 }
    ],
    feature_importance: { 'mean radius': 0.12, 'mean texture': 0.03 },
    ...overrides
  } as AutoMLRun;
}

/** A monitor run as GET /monitors/{name}/runs answers it (completed, nothing breached). */
export function monitorRun(overrides: Partial<MonitorRun> = {}): MonitorRun {
  return {
    id: 1,
    monitor: 'iris-drift',
    job_id: 'monitor-job-1',
    job_status: 'Completed',
    trigger: 'manual',
    state: 'Completed',
    window_start: '2025-01-01T09:00:00Z',
    window_end: '2025-01-01T10:00:00Z',
    rows: 300,
    baseline_rows: 300,
    breached: false,
    signals: [],
    data: {},
    error: null,
    created_at: '2025-01-01T10:00:00Z',
    finished_at: '2025-01-01T10:00:05Z',
    ...overrides
  } as MonitorRun;
}

/** A run with its per-feature results and histograms (GET /monitors/{name}/runs/{id}). */
export function monitorRunDetail(overrides: Partial<MonitorRunDetail> = {}): MonitorRunDetail {
  return { ...monitorRun(), features: [], histograms: {}, ...overrides } as MonitorRunDetail;
}

/** A monitor of the endpoint "iris", hourly, with its last run. */
export function monitor(overrides: Partial<Monitor> = {}): Monitor {
  return {
    name: 'iris-drift',
    description: '',
    baseline: 'data:iris@1',
    features: null,
    feature_kinds: {},
    signals: [{ type: 'data_drift' }, { type: 'data_quality' }],
    window: '1h',
    alpha: 0.05,
    schedule: { cron: '0 * * * *', time_zone: 'UTC' },
    alert: { webhook: null, notify: true },
    endpoint: 'iris',
    deployment: null,
    batch: null,
    current: null,
    enabled: true,
    schedule_name: 'monitor-iris-drift',
    next_run_at: '2025-01-01T11:00:00Z',
    last_run: monitorRun(),
    open_alerts: 0,
    created_at: '2025-01-01T00:00:00Z',
    updated_at: '2025-01-01T00:00:00Z',
    ...overrides
  } as Monitor;
}

/** An alert a run raised (no webhook). */
export function monitorAlert(overrides: Partial<Alert> = {}): Alert {
  return {
    id: 1,
    monitor: 'iris-drift',
    run_id: 1,
    job_id: 'monitor-job-1',
    created_at: '2025-01-01T10:00:06Z',
    window_start: '2025-01-01T09:00:00Z',
    window_end: '2025-01-01T10:00:00Z',
    message: 'iris-drift: data_drift breached (petal_width)',
    signals: [{ type: 'data_drift', breached: true, tested: 3, breaches: ['petal_width'], summary: { drifted: 1, drift_share: 0.3333, alpha_per_feature: 0.0167 } }],
    notify: true,
    webhook: null,
    delivery: 'none',
    attempts: 0,
    ...overrides
  } as Alert;
}

/** An endpoint's time series: two points of deployment "blue". */
export function endpointSeries(overrides: Partial<EndpointSeries> = {}): EndpointSeries {
  const point = (time: string, requests: number, errors: number, p50: number | null) => ({
    time,
    requests,
    errors,
    request_rate: requests / 60,
    error_rate: requests ? errors / requests : 0,
    p50_ms: p50,
    p99_ms: p50 === null ? null : p50 * 3
  });
  return {
    endpoint: 'iris',
    deployments: { blue: [point('2025-01-01T10:00:00Z', 60, 0, 4), point('2025-01-01T10:01:00Z', 120, 6, 5)] },
    interval_s: 15,
    retention_hours: 168,
    ...overrides
  };
}

/** A pipeline step as GET /pipelines/{id} answers it. */
export function pipelineStep(overrides: Partial<PipelineStepView> = {}): PipelineStepView {
  return {
    name: 'prep',
    display_name: '',
    job_id: 'job-prep',
    status: 'completed',
    job_status: 'Completed',
    kind: 'command',
    component: '',
    target: 'local',
    reused_from: null,
    why: null,
    error: null,
    inputs: {},
    outputs: {},
    depends_on: [],
    started_at: '2025-01-01T00:00:00Z',
    ended_at: '2025-01-01T00:00:03Z',
    ...overrides
  };
}

/** A pipeline run of three steps: prep (reused) -> train (completed) -> evaluate (running). */
export function pipelineRun(overrides: Partial<PipelineRun> = {}): PipelineRun {
  return {
    id: 'pipe1',
    name: 'retrain',
    display_name: '',
    status: 'Running',
    experiment: 'iris',
    created_at: '2025-01-01T00:00:00Z',
    started_at: '2025-01-01T00:00:01Z',
    ended_at: null,
    error: null,
    rerun_of: null,
    inputs: { raw: 'data:iris' },
    outputs: {},
    steps: [
      pipelineStep({ name: 'prep', status: 'reused', job_id: null, reused_from: 'job-old-prep', why: 'same key as job job-old-prep' }),
      pipelineStep({ name: 'train', job_id: 'job-train', depends_on: ['prep'], why: 'inputs.data differ from the closest earlier run' }),
      pipelineStep({ name: 'evaluate', status: 'running', job_id: 'job-eval', depends_on: ['train'], ended_at: null })
    ],
    edges: [
      { from_step: null, from_port: 'raw', to_step: 'prep', to_port: 'raw', kind: 'data' },
      { from_step: 'prep', from_port: 'train', to_step: 'train', to_port: 'data', kind: 'folder' },
      { from_step: 'train', from_port: 'model', to_step: 'evaluate', to_port: 'model', kind: 'folder' },
      { from_step: 'prep', from_port: 'test', to_step: 'evaluate', to_port: 'test', kind: 'folder' }
    ],
    job: job({ id: 'pipe1', kind: 'pipeline', status: 'Running', experiment: 'iris' }),
    ...overrides
  };
}

/** A trigger firing as GET /triggers/{name}/firings answers it. */
export function triggerFiring(overrides: Partial<TriggerFiring> = {}): TriggerFiring {
  return {
    id: 1,
    trigger: 'retrain',
    cause: { kind: 'data', name: 'iris', version: 3, ref: 'data:iris@3' },
    state: 'submitted',
    job_id: 'job-7',
    job_status: 'Completed',
    reason: null,
    created_at: '2026-12-04T10:00:00Z',
    ...overrides
  };
}

/** A trigger as GET /triggers answers it (watching a data asset). */
export function trigger(overrides: Partial<Trigger> = {}): Trigger {
  return {
    id: 'tr-1',
    name: 'retrain',
    description: '',
    on: { data: 'iris', time_zone: 'UTC' },
    kind: 'data',
    run: { kind: 'command', command: 'python train.py', target: 'local' },
    enabled: true,
    seen: {},
    created_by: 'me',
    last_fired_at: '2026-12-04T10:00:00Z',
    firings: 1,
    last_firings: [triggerFiring()],
    created_at: '2026-12-01T00:00:00Z',
    updated_at: '2026-12-04T10:00:00Z',
    ...overrides
  };
}

/** A rollout as GET /rollouts/{id} answers it: iris:2 at its first step of 50%. */
export function rollout(overrides: Partial<Rollout> = {}): Rollout {
  return {
    id: 'ro-1',
    endpoint: 'iris',
    candidate: 'v2',
    baseline: 'v1',
    model: 'iris:2',
    plan: { steps: [50, 100], interval_s: 2, mirror_first_s: 0, min_requests: 1, grace_s: 0, rollback_if: { error_rate: 0.01, p99_ms: null } },
    require_approval: true,
    dry_run: false,
    state: 'Progressing',
    step: 0,
    traffic_percent: 50,
    phase_started_at: '2026-12-04T10:00:00Z',
    history: [],
    reason: null,
    approved_by: null,
    approved_at: null,
    baseline_deleted: false,
    created_by: 'me',
    created_at: '2026-12-04T10:00:00Z',
    updated_at: '2026-12-04T10:00:00Z',
    finished_at: null,
    ...overrides
  };
}

/** A completed evaluation of iris:2 against iris:1 whose gate passed. */
export function evaluation(overrides: Partial<Evaluation> = {}): Evaluation {
  return {
    id: 'ev-1',
    candidate: 'iris:2',
    candidate_version: 'iris:2',
    baseline: 'iris@champion',
    baseline_version: 'iris:1',
    data: 'data:iris',
    data_version: 'data:iris@3',
    target_column: 'species',
    task: 'classification',
    metrics: ['f1'],
    gate: { f1: 0 },
    confidence: 0.95,
    bootstrap: 1000,
    status: 'Completed',
    passed: true,
    rows: 150,
    comparisons: [
      { metric: 'f1', higher_is_better: true, candidate: 0.95, baseline: 0.9, difference: 0.05, interval: [0.01, 0.09], margin: 0, passed: true }
    ],
    mlflow_metrics: {},
    error: null,
    job_id: 'job-ev',
    created_by: 'me',
    created_at: '2026-12-04T09:00:00Z',
    finished_at: '2026-12-04T09:01:00Z',
    ...overrides
  };
}
