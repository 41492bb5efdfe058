/**
 * The one module through which the frontend talks to the jupyter_mlservice server.
 *
 * Types come from `schema.ts`, generated from the checked-in OpenAPI document
 * (`jlpm gen:types`), so they cannot drift from the Python models. Views never
 * build URLs: they call the functions below, and Jest mocks this module.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import type { components, operations } from './schema';

type Schemas = components['schemas'];

export type Info = Schemas['Info'];
export type Target = Schemas['Target'];
export type TargetCreate = Schemas['TargetCreate'];
export type TargetUpdate = Schemas['TargetUpdate'];
export type Job = Schemas['Job'];
export type JobStatus = Job['status'];
export type CommandJobSpec = Schemas['CommandJobSpec'];
export type NotebookJobSpec = Schemas['NotebookJobSpec'];
export type CodeJobSpec = Schemas['CodeJobSpec'];
export type JobSpec = CommandJobSpec | NotebookJobSpec | CodeJobSpec;
export type LogChunk = Schemas['LogChunk'];
export type MetricPoint = Schemas['MetricPoint'];
export type JobMetrics = Schemas['JobMetrics'];
export type Artifact = Schemas['Artifact'];

export type Experiment = Schemas['Experiment'];
export type Run = Schemas['Run'];
export type RunMetrics = Schemas['JobMetrics'];

/** One page of a cursor-paginated listing (every `*Page` schema has this shape). */
export type IPage<T> = { items: T[] } & Pick<Schemas['JobPage'], 'next_cursor'>;

/** An error answered by the server, carrying its `message` and HTTP status. */
export class MLServiceError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly reason = ''
  ) {
    super(message);
    this.name = 'MLServiceError';
  }
}

/**
 * The query a list operation takes, as the document declares it (null: "any", not sent):
 * `QueryOf<'listJobs'>` is `{status?, target?, experiment?, tag?, limit?, cursor?}`.
 */
export type QueryOf<K extends keyof operations> = {
  [P in keyof NonNullable<operations[K]['parameters']['query']>]?: NonNullable<operations[K]['parameters']['query']>[P] | null;
};

type Query = Record<string, unknown>;

function queryString(query?: Query): string {
  if (!query) {
    return '';
  }
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    // A repeated parameter (tag=a=1&tag=b=2) is given as a list.
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== null && item !== '') {
        params.append(key, String(item));
      }
    }
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The full URL of an API route; exported for links (downloads) only. */
export function apiUrl(
  path: string,
  query?: Query,
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): string {
  return (
    URLExt.join(settings.baseUrl, 'mlservice/api', path) + queryString(query)
  );
}

/** Encode one path segment (names and ids may contain dots, spaces...). */
function seg(value: string): string {
  return encodeURIComponent(value);
}

async function request<T>(
  method: string,
  path: string,
  options: { query?: Query; body?: unknown } = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = apiUrl(path, options.query, settings);
  const init: RequestInit = { method };
  if (options.body !== undefined) {
    init.body = JSON.stringify(options.body);
    init.headers = { 'Content-Type': 'application/json' };
  }
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  const text = await response.text();
  let data: any = null;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!response.ok) {
    const message =
      (data && typeof data === 'object' && data.message) ||
      (typeof data === 'string' && data) ||
      `${method} ${path} failed: ${response.status} ${response.statusText}`;
    throw new MLServiceError(
      String(message),
      response.status,
      (data && typeof data === 'object' && data.reason) || ''
    );
  }
  return data as T;
}

// ---- info -------------------------------------------------------------------------------

export function getInfo(): Promise<Info> {
  return request('GET', 'info');
}

// ---- compute targets -------------------------------------------------------------------

export function listTargets(query: QueryOf<'listTargets'> = {}): Promise<IPage<Target>> {
  return request('GET', 'targets', { query });
}

export function createTarget(body: TargetCreate): Promise<Target> {
  return request('POST', 'targets', { body });
}

export function getTarget(name: string): Promise<Target> {
  return request('GET', `targets/${seg(name)}`);
}

export function updateTarget(
  name: string,
  body: TargetUpdate
): Promise<Target> {
  return request('PATCH', `targets/${seg(name)}`, { body });
}

export async function deleteTarget(name: string): Promise<void> {
  await request('DELETE', `targets/${seg(name)}`);
}

// ---- jobs -------------------------------------------------------------------------------

export function listJobs(query: QueryOf<'listJobs'> = {}): Promise<IPage<Job>> {
  return request('GET', 'jobs', { query });
}

export function submitJob(spec: Partial<JobSpec> & { kind: string }): Promise<Job> {
  return request('POST', 'jobs', { body: spec });
}

export function getJob(id: string): Promise<Job> {
  return request('GET', `jobs/${seg(id)}`);
}

export function cancelJob(id: string): Promise<Job> {
  return request('POST', `jobs/${seg(id)}/cancel`);
}

export function rerunJob(id: string): Promise<Job> {
  return request('POST', `jobs/${seg(id)}/rerun`);
}

export function getJobLogs(id: string, offset = 0): Promise<LogChunk> {
  return request('GET', `jobs/${seg(id)}/logs`, { query: { offset } });
}

export function getJobMetrics(id: string): Promise<JobMetrics> {
  return request('GET', `jobs/${seg(id)}/metrics`);
}

export function listJobArtifacts(id: string): Promise<{ items: Artifact[] }> {
  return request('GET', `jobs/${seg(id)}/artifacts`);
}

/** A URL the browser can open to download one artifact of a job. */
export function jobArtifactUrl(id: string, path: string): string {
  return apiUrl(`jobs/${seg(id)}/artifacts/download`, { path });
}

/** The text of one artifact (e.g. the executed notebook). */
export async function fetchJobArtifact(id: string, path: string): Promise<string> {
  const settings = ServerConnection.makeSettings();
  const url = apiUrl(`jobs/${seg(id)}/artifacts/download`, { path }, settings);
  const response = await ServerConnection.makeRequest(url, {}, settings);
  const text = await response.text();
  if (!response.ok) {
    let message = text;
    try {
      message = JSON.parse(text).message ?? text;
    } catch {
      // not JSON: keep the text
    }
    throw new MLServiceError(message || response.statusText, response.status);
  }
  return text;
}

// ---- experiments and runs --------------------------------------------------------------

export function listExperiments(query: QueryOf<'listExperiments'> = {}): Promise<IPage<Experiment>> {
  return request('GET', 'experiments', { query });
}

export function listRuns(
  experimentId: string,
  query: QueryOf<'listRuns'> = {}
): Promise<IPage<Run>> {
  return request('GET', `experiments/${seg(experimentId)}/runs`, { query });
}

/** Metric histories and params of any MLflow run (runs of any experiment, compared side by side). */
export function getRunMetrics(runId: string): Promise<RunMetrics> {
  return request('GET', `runs/${seg(runId)}/metrics`);
}

// ---- model registry ---------------------------------------------------------------------

export type RegisteredModel = Schemas['RegisteredModel'];
export type ModelVersion = Schemas['ModelVersion'];
export type ModelRegister = Schemas['ModelRegister'];

export function listModels(query: QueryOf<'listModels'> = {}): Promise<IPage<RegisteredModel>> {
  return request('GET', 'models', { query });
}

/** A registered model with its versions (newest first) and aliases. */
export function getModel(name: string): Promise<RegisteredModel> {
  return request('GET', `models/${seg(name)}`);
}

export function registerModel(body: Partial<ModelRegister> & { name: string }): Promise<ModelVersion> {
  return request('POST', 'models', { body });
}

/** One version with its lineage (run, experiment, job, code, params, metrics). */
export function getModelVersion(name: string, version: string): Promise<ModelVersion> {
  return request('GET', `models/${seg(name)}/versions/${seg(version)}`);
}

export function setModelAlias(name: string, alias: string, version: string): Promise<ModelVersion> {
  return request('PUT', `models/${seg(name)}/aliases/${seg(alias)}`, { body: { version } });
}

export async function deleteModelAlias(name: string, alias: string): Promise<void> {
  await request('DELETE', `models/${seg(name)}/aliases/${seg(alias)}`);
}

/** Delete a registered model with all its versions (running deployments keep their copy). */
export async function deleteModel(name: string): Promise<void> {
  await request('DELETE', `models/${seg(name)}`);
}

export async function deleteModelVersion(name: string, version: string): Promise<void> {
  await request('DELETE', `models/${seg(name)}/versions/${seg(version)}`);
}

// ---- real-time endpoints ----------------------------------------------------------------

export type Endpoint = Schemas['Endpoint'];
export type EndpointCreate = Schemas['EndpointCreate'];
export type EndpointKeys = Schemas['EndpointKeys'];
/**
 * `all_traffic_pending`: the deployment takes all of its endpoint's traffic once Healthy (the
 * server does it). Declared here until the generated schema has the field; then it takes over.
 */
export type Deployment = Schemas['Deployment'] & { all_traffic_pending?: boolean };
export type DeploymentStatus = Deployment['status'];
/** `all_traffic`: once Healthy, route 100% of the endpoint's traffic to it (done by the server). */
export type DeploymentCreate = Schemas['DeploymentCreate'] & { all_traffic?: boolean };
export type DeploymentUpdate = Schemas['DeploymentUpdate'] & { all_traffic?: boolean };
export type RequestSettings = Schemas['RequestSettings'];
export type InvokeRequest = Schemas['InvokeRequest'];
export type InvokeResponse = Schemas['InvokeResponse'];
export type EndpointMetrics = Schemas['EndpointMetrics'];

/** Endpoints a page at a time (`limit`, `cursor`), like every list. */
export function listEndpoints(query: { limit?: number | null; cursor?: string | null } = {}): Promise<IPage<Endpoint>> {
  return request('GET', 'endpoints', { query });
}

export function createEndpoint(body: Partial<EndpointCreate> & { name: string }): Promise<Endpoint> {
  return request('POST', 'endpoints', { body });
}

export function getEndpoint(name: string): Promise<Endpoint> {
  return request('GET', `endpoints/${seg(name)}`);
}

export async function deleteEndpoint(name: string): Promise<void> {
  await request('DELETE', `endpoints/${seg(name)}`);
}

export function getEndpointKeys(name: string): Promise<EndpointKeys> {
  return request('GET', `endpoints/${seg(name)}/keys`);
}

export function regenerateEndpointKey(name: string, key: 'primary' | 'secondary'): Promise<EndpointKeys> {
  return request('POST', `endpoints/${seg(name)}/keys/regenerate`, { body: { key } });
}

export function setEndpointTraffic(name: string, traffic: Record<string, number>): Promise<Endpoint> {
  return request('PUT', `endpoints/${seg(name)}/traffic`, { body: { traffic } });
}

/** Copy a share of requests to deployments (their answers are dropped); `{}` stops mirroring. */
export function setEndpointMirror(name: string, mirror: Record<string, number>): Promise<Endpoint> {
  return request('PUT', `endpoints/${seg(name)}/mirror`, { body: { mirror_traffic: mirror } });
}

/** Send a test request through the server (which adds the key), timing it. */
export function invokeEndpoint(
  name: string,
  body: Partial<InvokeRequest> & { data: unknown }
): Promise<InvokeResponse> {
  return request('POST', `endpoints/${seg(name)}/invoke`, { body });
}

export function getEndpointMetrics(name: string): Promise<EndpointMetrics> {
  return request('GET', `endpoints/${seg(name)}/metrics`);
}

export function listDeployments(endpoint: string): Promise<{ items: Deployment[] }> {
  return request('GET', `endpoints/${seg(endpoint)}/deployments`);
}

export function createDeployment(
  endpoint: string,
  body: Partial<DeploymentCreate> & { name: string; model: string }
): Promise<Deployment> {
  return request('POST', `endpoints/${seg(endpoint)}/deployments`, { body });
}

/** Change model, replicas or settings; the deployment is Updating until the new version serves. */
export function updateDeployment(endpoint: string, name: string, body: DeploymentUpdate): Promise<Deployment> {
  return request('PATCH', `endpoints/${seg(endpoint)}/deployments/${seg(name)}`, { body });
}

export function getDeployment(endpoint: string, name: string): Promise<Deployment> {
  return request('GET', `endpoints/${seg(endpoint)}/deployments/${seg(name)}`);
}

export async function deleteDeployment(endpoint: string, name: string): Promise<void> {
  await request('DELETE', `endpoints/${seg(endpoint)}/deployments/${seg(name)}`);
}

export function getDeploymentLogs(endpoint: string, name: string, offset = 0): Promise<LogChunk> {
  return request('GET', `endpoints/${seg(endpoint)}/deployments/${seg(name)}/logs`, { query: { offset } });
}

// ---- schedules and job progress --------------------------------------------------------

export type Schedule = Schemas['Schedule'];
export type ScheduleCreate = Schemas['ScheduleCreate'];
export type ScheduleUpdate = Schemas['ScheduleUpdate'];
export type ScheduleRun = Schemas['ScheduleRun'];
export type JobProgress = Schemas['JobProgress'];

export function listSchedules(query: QueryOf<'listSchedules'> = {}): Promise<IPage<Schedule>> {
  return request('GET', 'schedules', { query });
}

export function createSchedule(body: Partial<ScheduleCreate> & { name: string; job: Record<string, unknown> }): Promise<Schedule> {
  return request('POST', 'schedules', { body });
}

export function getSchedule(name: string): Promise<Schedule> {
  return request('GET', `schedules/${seg(name)}`);
}

export function updateSchedule(name: string, body: ScheduleUpdate): Promise<Schedule> {
  return request('PATCH', `schedules/${seg(name)}`, { body });
}

export async function deleteSchedule(name: string): Promise<void> {
  await request('DELETE', `schedules/${seg(name)}`);
}

export function setScheduleEnabled(name: string, enabled: boolean): Promise<Schedule> {
  return request('POST', `schedules/${seg(name)}/${enabled ? 'enable' : 'disable'}`);
}

/** Submit a run of the schedule now (enabled or not). */
export function runScheduleNow(name: string): Promise<ScheduleRun> {
  return request('POST', `schedules/${seg(name)}/run`);
}

/** The schedule's history, newest slot first. */
export function listScheduleRuns(
  name: string,
  query: QueryOf<'listScheduleRuns'> = {}
): Promise<IPage<ScheduleRun>> {
  return request('GET', `schedules/${seg(name)}/runs`, { query });
}

/** Live progress of a batch job (mini-batches, rows/s) or a notebook job (cells). */
export function getJobProgress(id: string): Promise<JobProgress> {
  return request('GET', `jobs/${seg(id)}/progress`);
}

// ---- data assets and lineage -----------------------------------------------------------

export type DataAsset = Schemas['DataAsset'];
export type DataVersion = Schemas['DataVersion'];
export type DataCreate = Schemas['DataCreate'];
export type DataUpdate = Schemas['DataUpdate'];
export type DataProfile = Schemas['DataProfile'];
export type DataLineage = Schemas['DataLineage'];
export type LineageGraph = Schemas['LineageGraph'];
export type LineageNode = Schemas['LineageNode'];
export type LineageEdge = Schemas['LineageEdge'];

export function listDataAssets(query: QueryOf<'listDataAssets'> = {}): Promise<IPage<DataAsset>> {
  return request('GET', 'data', { query });
}

/** Register a version (the asset is created with v1); `deduplicated` when identical content already was one. */
export function createDataVersion(body: Partial<DataCreate> & { name: string }): Promise<DataVersion> {
  return request('POST', 'data', { body });
}

export function getDataAsset(name: string): Promise<DataAsset> {
  return request('GET', `data/${seg(name)}`);
}

export function updateDataAsset(name: string, body: DataUpdate): Promise<DataAsset> {
  return request('PATCH', `data/${seg(name)}`, { body });
}

/** Versions, newest first (archived ones included unless asked otherwise). */
export function listDataVersions(name: string, query: QueryOf<'listDataVersions'> = {}): Promise<IPage<DataVersion>> {
  return request('GET', `data/${seg(name)}/versions`, { query });
}

export function getDataVersion(name: string, version: string | number): Promise<DataVersion> {
  return request('GET', `data/${seg(name)}/versions/${seg(String(version))}`);
}

export function updateDataVersion(name: string, version: string | number, body: DataUpdate): Promise<DataVersion> {
  return request('PATCH', `data/${seg(name)}/versions/${seg(String(version))}`, { body });
}

export function setDataAlias(name: string, alias: string, version: number): Promise<DataVersion> {
  return request('PUT', `data/${seg(name)}/aliases/${seg(alias)}`, { body: { version } });
}

export async function deleteDataAlias(name: string, alias: string): Promise<void> {
  await request('DELETE', `data/${seg(name)}/aliases/${seg(alias)}`);
}

/** The version's profile (rows, columns with histograms or top values, the first 100 rows). */
export function getDataProfile(name: string, version: string | number): Promise<DataProfile> {
  return request('GET', `data/${seg(name)}/versions/${seg(String(version))}/profile`);
}

/** Compute the profile again, in a job on a compute target. */
export function computeDataProfile(name: string, version: string | number, target = 'local'): Promise<DataProfile> {
  return request('POST', `data/${seg(name)}/versions/${seg(String(version))}/profile`, { body: { target } });
}

/** Jobs that read the version, models and deployments made from them, the job that wrote it. */
export function getDataLineage(name: string, version: string | number): Promise<DataLineage> {
  return request('GET', `data/${seg(name)}/versions/${seg(String(version))}/lineage`);
}

/** The lineage graph around any node (`{type: 'job', id}`: a job's data inputs and outputs). */
export function getLineage(query: QueryOf<'getLineage'>): Promise<LineageGraph> {
  return request('GET', 'lineage', { query });
}

// ---- environments -----------------------------------------------------------------------

export type Environment = Schemas['Environment'];
export type EnvironmentCreate = Schemas['EnvironmentCreate'];
export type EnvironmentLog = Schemas['EnvironmentLog'];

/** The latest version of each environment, or (with `name`) every version of one, newest first. */
export function listEnvironments(query: QueryOf<'listEnvironments'> = {}): Promise<IPage<Environment>> {
  return request('GET', 'environments', { query });
}

/** Create a version: its requirements are resolved now (a lock), built now with `build`, else on first use. */
export function createEnvironment(body: Partial<EnvironmentCreate> & { name: string }): Promise<Environment> {
  return request('POST', 'environments', { body });
}

/** `sk12@1`, or `sk12` (the latest). */
export function getEnvironment(ref: string): Promise<Environment> {
  return request('GET', `environments/${seg(ref)}`);
}

/** Build now and answer once built (or failed: a 400 naming the requirement). */
export function buildEnvironment(ref: string): Promise<Environment> {
  return request('POST', `environments/${seg(ref)}/build`);
}

export function getEnvironmentLogs(ref: string, offset = 0): Promise<EnvironmentLog> {
  return request('GET', `environments/${seg(ref)}/logs`, { query: { offset } });
}

// ---- sweeps and AutoML runs (both are parent jobs: GET /jobs?kind=sweep,automl lists them) --

export type Sweep = Schemas['Sweep'];
export type SweepTrial = Schemas['SweepTrial'];
export type SearchParameter = Schemas['SearchParameter'];
export type AutoMLRun = Schemas['AutoMLRun'];
export type LeaderboardEntry = Schemas['LeaderboardEntry'];

export function getSweep(id: string): Promise<Sweep> {
  return request('GET', `sweeps/${seg(id)}`);
}

/** Every trial of a sweep by number, with its params, objective, state and latest metrics. */
export function listSweepTrials(id: string): Promise<{ items: SweepTrial[] }> {
  return request('GET', `sweeps/${seg(id)}/trials`);
}

export function cancelSweep(id: string): Promise<Sweep> {
  return request('POST', `sweeps/${seg(id)}/cancel`);
}

export function getAutoMLRun(id: string): Promise<AutoMLRun> {
  return request('GET', `automl/${seg(id)}`);
}

export function cancelAutoMLRun(id: string): Promise<AutoMLRun> {
  return request('POST', `automl/${seg(id)}/cancel`);
}

// ---- monitoring: monitors, their runs and alerts, endpoint time series ------------------------

export type Monitor = Schemas['Monitor'];
export type MonitorRun = Schemas['MonitorRun'];
export type MonitorRunDetail = Schemas['MonitorRunDetail'];
export type FeatureResult = Schemas['FeatureResult'];
export type FeatureSeries = Schemas['FeatureSeries'];
export type FeatureSeriesPoint = Schemas['FeatureSeriesPoint'];
export type MonitorHistogram = Schemas['Histogram'];
export type Alert = Schemas['Alert'];
export type SignalSummary = Schemas['SignalSummary'];
export type EndpointSeries = Schemas['EndpointSeries'];
export type SeriesPoint = Schemas['SeriesPoint'];

export function listMonitors(query: QueryOf<'listMonitors'> = {}): Promise<IPage<Monitor>> {
  return request('GET', 'monitors', { query });
}

export function getMonitor(name: string): Promise<Monitor> {
  return request('GET', `monitors/${seg(name)}`);
}

export async function deleteMonitor(name: string): Promise<void> {
  await request('DELETE', `monitors/${seg(name)}`);
}

export function setMonitorEnabled(name: string, enabled: boolean): Promise<Monitor> {
  return request('POST', `monitors/${seg(name)}/${enabled ? 'enable' : 'disable'}`);
}

/** Start a run (a job) over the window that ends now. */
export function runMonitorNow(name: string): Promise<MonitorRun> {
  return request('POST', `monitors/${seg(name)}/run`);
}

export function listMonitorRuns(name: string, query: QueryOf<'listMonitorRuns'> = {}): Promise<IPage<MonitorRun>> {
  return request('GET', `monitors/${seg(name)}/runs`, { query });
}

/** A run with every feature's results and the baseline vs window histograms. */
export function getMonitorRun(name: string, runId: number): Promise<MonitorRunDetail> {
  return request('GET', `monitors/${seg(name)}/runs/${runId}`);
}

/** One signal's statistic per feature over the latest completed runs, oldest first. */
export function getMonitorFeatureSeries(name: string, query: QueryOf<'getMonitorFeatureSeries'> = {}): Promise<FeatureSeries> {
  return request('GET', `monitors/${seg(name)}/features`, { query });
}

export function listMonitorAlerts(name: string, query: QueryOf<'listMonitorAlerts'> = {}): Promise<IPage<Alert>> {
  return request('GET', `monitors/${seg(name)}/alerts`, { query });
}

/** Requests, errors and p50/p99 latency per deployment over time (default: the last hour). */
export function getEndpointSeries(name: string, query: QueryOf<'getEndpointSeries'> = {}): Promise<EndpointSeries> {
  return request('GET', `endpoints/${seg(name)}/series`, { query });
}

// ---- pipelines: runs of a DAG of steps (each step a child job of the run's parent job) --------

export type PipelineRun = Schemas['PipelineRun'];
export type PipelineGraph = Schemas['PipelineGraph'];
export type PipelineStepView = Schemas['PipelineStepView'];
export type PipelineEdge = Schemas['PipelineEdge'];
export type PipelineSubmit = Schemas['PipelineSubmit'];

/** Pipeline runs, newest first. */
export function listPipelineRuns(query: QueryOf<'listPipelineRuns'> = {}): Promise<IPage<PipelineRun>> {
  return request('GET', 'pipelines', { query });
}

export function submitPipeline(body: PipelineSubmit): Promise<PipelineRun> {
  return request('POST', 'pipelines', { body });
}

/** A run with its steps (job, status, reused_from, why) and edges. */
export function getPipelineRun(id: string): Promise<PipelineRun> {
  return request('GET', `pipelines/${seg(id)}`);
}

/** Cancel the running steps and skip the rest. */
export function cancelPipelineRun(id: string): Promise<PipelineRun> {
  return request('POST', `pipelines/${seg(id)}/cancel`);
}

/** A new run: `from_step` and everything downstream of it run again, what is upstream is reused. */
export function rerunPipeline(id: string, fromStep: string | null): Promise<PipelineRun> {
  return request('POST', `pipelines/${seg(id)}/rerun`, { body: { from_step: fromStep } });
}

/** The graph of a *.pipeline.yaml's text (checked like a submit: a 400 says what is wrong). */
export function drawPipeline(yaml: string): Promise<PipelineGraph> {
  return request('POST', 'pipelines/graph', { body: { yaml } });
}

// ---- automation: triggers, model evaluations, progressive rollouts ----------------------------

export type Trigger = Schemas['Trigger'];
export type TriggerCreate = Schemas['TriggerCreate'];
export type TriggerUpdate = Schemas['TriggerUpdate'];
export type TriggerFiring = Schemas['TriggerFiring'];
export type Evaluation = Schemas['Evaluation'];
export type EvaluationCreate = Schemas['EvaluationCreate'];
export type MetricComparison = Schemas['MetricComparison'];
export type Rollout = Schemas['Rollout'];
export type RolloutCreate = Schemas['RolloutCreate'];
export type RolloutPlan = Schemas['RolloutPlan'];
export type RolloutStep = Schemas['RolloutStep'];
export type RolloutState = Rollout['state'];

export function listTriggers(query: QueryOf<'listTriggers'> = {}): Promise<IPage<Trigger>> {
  return request('GET', 'triggers', { query });
}

export function createTrigger(body: TriggerCreate): Promise<Trigger> {
  return request('POST', 'triggers', { body });
}

/** A trigger with its latest firings (newest first). */
export function getTrigger(name: string): Promise<Trigger> {
  return request('GET', `triggers/${seg(name)}`);
}

export function updateTrigger(name: string, body: TriggerUpdate): Promise<Trigger> {
  return request('PATCH', `triggers/${seg(name)}`, { body });
}

export async function deleteTrigger(name: string): Promise<void> {
  await request('DELETE', `triggers/${seg(name)}`);
}

export function setTriggerEnabled(name: string, enabled: boolean): Promise<Trigger> {
  return request('POST', `triggers/${seg(name)}/${enabled ? 'enable' : 'disable'}`);
}

/** Fire now (enabled or not); `cause` fills `{{ cause.* }}` (default: the latest cause watched). */
export function fireTrigger(name: string, cause: Record<string, unknown> | null = null): Promise<TriggerFiring> {
  return request('POST', `triggers/${seg(name)}/fire`, { body: { cause } });
}

/** The trigger's firings, newest first. */
export function listTriggerFirings(name: string, query: QueryOf<'listTriggerFirings'> = {}): Promise<IPage<TriggerFiring>> {
  return request('GET', `triggers/${seg(name)}/firings`, { query });
}

/** Evaluations, newest first; `model` (and `version`) keep those whose candidate is that model (version). */
export function listEvaluations(query: QueryOf<'listEvaluations'> = {}): Promise<IPage<Evaluation>> {
  return request('GET', 'evaluations', { query });
}

export function createEvaluation(body: Partial<EvaluationCreate> & Pick<EvaluationCreate, 'candidate' | 'baseline' | 'data' | 'target_column' | 'metrics'>): Promise<Evaluation> {
  return request('POST', 'evaluations', { body });
}

export function getEvaluation(id: string): Promise<Evaluation> {
  return request('GET', `evaluations/${seg(id)}`);
}

/** Rollouts, newest first; `endpoint` keeps one endpoint's. */
export function listRollouts(query: QueryOf<'listRollouts'> = {}): Promise<IPage<Rollout>> {
  return request('GET', 'rollouts', { query });
}

export function startRollout(body: Partial<RolloutCreate> & Pick<RolloutCreate, 'endpoint' | 'model'>): Promise<Rollout> {
  return request('POST', 'rollouts', { body });
}

export function getRollout(id: string): Promise<Rollout> {
  return request('GET', `rollouts/${seg(id)}`);
}

/** Let a rollout waiting before its last step give the candidate all traffic. */
export function approveRollout(id: string): Promise<Rollout> {
  return request('POST', `rollouts/${seg(id)}/approve`);
}

/** All traffic back to the baseline now (the candidate deployment stays, at 0%). */
export function abortRollout(id: string): Promise<Rollout> {
  return request('POST', `rollouts/${seg(id)}/abort`);
}
