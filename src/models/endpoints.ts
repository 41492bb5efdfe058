import { ISignal, Signal } from '@lumino/signaling';

import * as api from '../api/client';
import type {
  Deployment,
  DeploymentCreate,
  DeploymentUpdate,
  Endpoint,
  EndpointCreate,
  EndpointKeys,
  InvokeResponse
} from '../api/client';
import { PolledModel } from './base';

const ENDPOINT_NAME = /^[A-Za-z][A-Za-z0-9-]{0,31}$/;
const NAME_RULE = 'Use 1-32 letters, digits or "-", starting with a letter.';

// ---- forms -------------------------------------------------------------------------------

/** The create-endpoint dialog's fields. */
export interface IEndpointForm {
  name: string;
  authMode: 'key' | 'none';
  description: string;
}

export type EndpointFormErrors = Partial<Record<keyof IEndpointForm, string>>;

export function validateEndpointForm(
  form: IEndpointForm,
  existing: ReadonlyArray<string> = []
): { body?: EndpointCreate; errors: EndpointFormErrors } {
  const errors: EndpointFormErrors = {};
  const name = form.name.trim();
  if (!name) {
    errors.name = 'A name is required.';
  } else if (!ENDPOINT_NAME.test(name)) {
    errors.name = NAME_RULE;
  } else if (existing.includes(name)) {
    errors.name = `An endpoint named "${name}" already exists.`;
  }
  if (Object.keys(errors).length > 0) {
    return { errors };
  }
  return { errors, body: { name, auth_mode: form.authMode, description: form.description.trim() } };
}

/** The value of the deploy dialog's endpoint field that means "create a new endpoint". */
export const NEW_ENDPOINT = '';

/** The deploy dialog's fields, as text, before validation. */
export interface IDeployForm {
  /** An existing endpoint's name, or NEW_ENDPOINT. */
  endpoint: string;
  /** The new endpoint's name (when `endpoint` is NEW_ENDPOINT). */
  newEndpoint: string;
  authMode: 'key' | 'none';
  deployment: string;
  /** Model reference: `iris:3`, `iris@champion` or `iris`. */
  model: string;
  replicas: string;
  /** Route all of the endpoint's traffic to the deployment once it is healthy. */
  allTraffic: boolean;
}

export type DeployFormErrors = Partial<Record<keyof IDeployForm, string>>;

/** What the deploy dialog asks for, checked. */
export interface IDeployPlan {
  endpoint: string;
  /** Create the endpoint first (with `authMode`). */
  createEndpoint: boolean;
  authMode: 'key' | 'none';
  deployment: Partial<DeploymentCreate> & { name: string; model: string };
  allTraffic: boolean;
}

/** A deployment name from a model reference (`iris:3` -> `iris-v3`), unique among `taken`. */
export function deploymentNameFor(ref: string, taken: ReadonlyArray<string> = []): string {
  const [name, rest] = ref.split(/[:@]/, 2);
  let base = `${name}${rest ? (ref.includes('@') ? `-${rest}` : `-v${rest}`) : ''}`
    .replace(/[^A-Za-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!/^[A-Za-z]/.test(base)) {
    base = `m-${base}`;
  }
  base = base.slice(0, 32).replace(/-+$/, '') || 'blue';
  let candidate = base;
  for (let i = 2; taken.includes(candidate); i++) {
    const suffix = `-${i}`;
    candidate = base.slice(0, 32 - suffix.length) + suffix;
  }
  return candidate;
}

/** An endpoint name from a model name (`Iris_2` -> `iris-2`). */
export function endpointNameFor(model: string): string {
  let base = model
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!/^[a-z]/.test(base)) {
    base = `ep-${base}`;
  }
  return base.slice(0, 32).replace(/-+$/, '');
}

/** The deploy dialog pre-filled for a model version and the endpoints there are. */
export function initialDeployForm(ref: string, endpoints: ReadonlyArray<Endpoint>): IDeployForm {
  const first = endpoints[0];
  const modelName = ref.split(/[:@]/)[0];
  const endpoint = first ? first.name : NEW_ENDPOINT;
  return {
    endpoint,
    newEndpoint: first ? '' : endpointNameFor(modelName),
    authMode: 'key',
    deployment: deploymentNameFor(ref, first?.deployments ?? []),
    model: ref,
    replicas: '1',
    // A first deployment takes all traffic; a later one starts at 0% until shifted.
    allTraffic: !first || Object.values(first.traffic ?? {}).every(pct => !pct)
  };
}

export function validateDeployForm(
  form: IDeployForm,
  endpoints: ReadonlyArray<Endpoint>
): { plan?: IDeployPlan; errors: DeployFormErrors } {
  const errors: DeployFormErrors = {};
  const createEndpoint = form.endpoint === NEW_ENDPOINT;
  const endpointName = createEndpoint ? form.newEndpoint.trim() : form.endpoint;
  const existing = endpoints.find(e => e.name === endpointName);
  if (createEndpoint) {
    if (!endpointName) {
      errors.newEndpoint = 'Name the new endpoint.';
    } else if (!ENDPOINT_NAME.test(endpointName)) {
      errors.newEndpoint = NAME_RULE;
    } else if (existing) {
      errors.newEndpoint = `An endpoint named "${endpointName}" already exists: choose it above.`;
    }
  } else if (!existing) {
    errors.endpoint = `No endpoint named "${endpointName}".`;
  }
  const deployment = form.deployment.trim();
  if (!deployment) {
    errors.deployment = 'Name the deployment (e.g. blue).';
  } else if (!ENDPOINT_NAME.test(deployment)) {
    errors.deployment = NAME_RULE;
  } else if (existing?.deployments.includes(deployment)) {
    errors.deployment = `Endpoint "${endpointName}" already has a deployment "${deployment}".`;
  }
  const model = form.model.trim();
  if (!model) {
    errors.model = 'Give a model reference, e.g. iris:1 or iris@champion.';
  } else if (/:/.test(model) && !/:\d+$/.test(model)) {
    errors.model = 'The version after ":" must be a number (e.g. iris:3).';
  }
  const replicas = Number(form.replicas.trim());
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 32) {
    errors.replicas = 'Replicas: a whole number from 1 to 32.';
  }
  if (Object.keys(errors).length > 0) {
    return { errors };
  }
  return {
    errors,
    plan: {
      endpoint: endpointName,
      createEndpoint,
      authMode: form.authMode,
      deployment: { name: deployment, model, replicas },
      allTraffic: form.allTraffic
    }
  };
}

// ---- traffic -----------------------------------------------------------------------------

/** Why a traffic split cannot be sent, or null when it can. */
export function trafficError(
  traffic: Record<string, number>,
  mirror: Record<string, number> = {}
): string | null {
  const values = Object.values(traffic);
  if (values.some(v => !Number.isInteger(v) || v < 0 || v > 100)) {
    return 'Each share is a whole percent from 0 to 100.';
  }
  const total = values.reduce((a, b) => a + b, 0);
  if (total !== 100 && total !== 0) {
    return `The shares add up to ${total}%; they must add up to 100% (or all be 0).`;
  }
  const mirrored = Object.keys(traffic).filter(name => traffic[name] > 0 && (mirror[name] ?? 0) > 0);
  if (mirrored.length > 0) {
    return (
      `${mirrored.map(n => `"${n}"`).join(', ')} already gets mirrored requests; a deployment takes live or ` +
      'mirror traffic, not both: stop mirroring to it first.'
    );
  }
  return null;
}

// ---- mirror traffic ----------------------------------------------------------------------

/** The most of an endpoint's requests that may be copied to deployments, in total (the server's rule). */
export const MAX_MIRROR_PERCENT = 50;

/** The mirror form: copy `percent` of the endpoint's requests to `deployment`. */
export interface IMirrorForm {
  deployment: string;
  percent: string;
}

export type MirrorFormErrors = Partial<Record<keyof IMirrorForm, string>>;

/** Shares mirrored to deployments that take some (zeros dropped). */
export function activeMirror(endpoint: Endpoint | null | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, pct] of Object.entries(endpoint?.mirror_traffic ?? {})) {
    if (pct > 0) {
      out[name] = pct;
    }
  }
  return out;
}

/** The mirror form for an endpoint: the mirrored deployment if any, else the first one without live traffic. */
export function initialMirrorForm(endpoint: Endpoint): IMirrorForm {
  const mirror = activeMirror(endpoint);
  const current = Object.keys(mirror)[0];
  if (current) {
    return { deployment: current, percent: String(mirror[current]) };
  }
  const idle = endpoint.deployments.find(name => !endpoint.traffic?.[name]);
  return { deployment: idle ?? endpoint.deployments[0] ?? '', percent: '10' };
}

/**
 * The endpoint's whole mirror table with the form's share set (0 removes it), or
 * what to change: the same rules as the server, so a refusal says why before sending.
 */
export function validateMirrorForm(
  form: IMirrorForm,
  endpoint: Endpoint
): { mirror?: Record<string, number>; errors: MirrorFormErrors } {
  const errors: MirrorFormErrors = {};
  const name = form.deployment;
  const text = form.percent.trim();
  const percent = Number(text);
  if (!name) {
    errors.deployment = 'Choose the deployment that gets the copies.';
  } else if (!endpoint.deployments.includes(name)) {
    errors.deployment = `Endpoint "${endpoint.name}" has no deployment "${name}".`;
  }
  if (!text || !Number.isInteger(percent) || percent < 0 || percent > 100) {
    errors.percent = `A whole percent from 0 to ${MAX_MIRROR_PERCENT} (0 stops mirroring to it).`;
  }
  const live = endpoint.traffic?.[name] ?? 0;
  if (!errors.deployment && !errors.percent && percent > 0 && live > 0) {
    errors.deployment =
      `"${name}" takes ${live}% of the live traffic; a deployment takes live or mirror traffic, not both. ` +
      'Mirror to a deployment with 0% live traffic, or move its traffic away first.';
  }
  const mirror = activeMirror(endpoint);
  delete mirror[name];
  const others = Object.values(mirror).reduce((a, b) => a + b, 0);
  if (!errors.deployment && !errors.percent && others + percent > MAX_MIRROR_PERCENT) {
    errors.percent = others
      ? `At most ${MAX_MIRROR_PERCENT}% of requests can be mirrored in total; ${others}% already go to ` +
        `${Object.keys(mirror).join(', ')}: use ${MAX_MIRROR_PERCENT - others}% or less.`
      : `At most ${MAX_MIRROR_PERCENT}% of requests can be mirrored.`;
  }
  if (Object.keys(errors).length > 0) {
    return { errors };
  }
  if (percent > 0) {
    mirror[name] = percent;
  }
  return { errors, mirror };
}

// ---- editing a deployment ----------------------------------------------------------------

/** The edit-deployment dialog's fields, as text, before validation. */
export interface IDeploymentEditForm {
  /** Model reference: `iris:3`, `iris@champion` or `iris`. */
  model: string;
  replicas: string;
  requestTimeoutMs: string;
  maxConcurrentRequests: string;
  maxQueueWaitMs: string;
  /** One `NAME=value` a line. */
  environment: string;
}

export type DeploymentEditErrors = Partial<Record<keyof IDeploymentEditForm | 'form', string>>;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `{A: '1', B: 'x'}` -> "A=1\nB=x" */
export function formatEnvironment(env: Record<string, string> | null | undefined): string {
  return Object.entries(env ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join('\n');
}

/** "A=1\nB=x" -> `{A: '1', B: 'x'}`; blank lines and `#` comments are skipped. Throws what to fix. */
export function parseEnvironment(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) {
      return;
    }
    const eq = line.indexOf('=');
    const key = (eq < 0 ? line : line.slice(0, eq)).trim();
    if (eq < 0 || !ENV_NAME.test(key)) {
      throw new Error(
        `Line ${index + 1}: write NAME=value, the name made of letters, digits and "_" (not starting with a digit).`
      );
    }
    if (key in env) {
      throw new Error(`Line ${index + 1}: ${key} is set twice.`);
    }
    env[key] = line.slice(eq + 1).trim();
  });
  return env;
}

export function initialDeploymentEditForm(deployment: Deployment): IDeploymentEditForm {
  const settings = deployment.request_settings ?? {};
  return {
    model: deployment.model,
    replicas: String(deployment.replicas),
    requestTimeoutMs: String(settings.request_timeout_ms ?? 5000),
    maxConcurrentRequests: String(settings.max_concurrent_requests ?? 64),
    maxQueueWaitMs: String(settings.max_queue_wait_ms ?? 500),
    environment: formatEnvironment(deployment.environment_variables)
  };
}

function wholeNumber(text: string, low: number, high: number): number | null {
  const value = Number(text.trim());
  return text.trim() && Number.isInteger(value) && value >= low && value <= high ? value : null;
}

/**
 * What changed, as a DeploymentUpdate (only the changed parts, so the server
 * rolls out only when something did), or what to fix.
 */
export function validateDeploymentEditForm(
  form: IDeploymentEditForm,
  deployment: Deployment
): { body?: DeploymentUpdate; errors: DeploymentEditErrors } {
  const errors: DeploymentEditErrors = {};
  const body: DeploymentUpdate = {};
  const model = form.model.trim();
  if (!model) {
    errors.model = 'Give a model reference, e.g. iris:1 or iris@champion.';
  } else if (/:/.test(model) && !/:\d+$/.test(model)) {
    errors.model = 'The version after ":" must be a number (e.g. iris:3).';
  } else if (model !== deployment.model) {
    body.model = model;
  }
  const replicas = wholeNumber(form.replicas, 1, 32);
  if (replicas === null) {
    errors.replicas = 'Replicas: a whole number from 1 to 32.';
  } else if (replicas !== deployment.replicas) {
    body.replicas = replicas;
  }
  const timeout = wholeNumber(form.requestTimeoutMs, 1, 600000);
  if (timeout === null) {
    errors.requestTimeoutMs = 'Milliseconds from 1 to 600000 (10 minutes).';
  }
  const concurrent = wholeNumber(form.maxConcurrentRequests, 1, 10000);
  if (concurrent === null) {
    errors.maxConcurrentRequests = 'A whole number from 1 to 10000.';
  }
  const queueWait = wholeNumber(form.maxQueueWaitMs, 0, 600000);
  if (queueWait === null) {
    errors.maxQueueWaitMs = 'Milliseconds from 0 to 600000 (0: answer 429 at once when busy).';
  }
  if (timeout !== null && concurrent !== null && queueWait !== null) {
    const current = deployment.request_settings ?? {};
    // The server takes request settings whole: keep the fields this form does not show.
    const settings = {
      ...current,
      request_timeout_ms: timeout,
      max_concurrent_requests: concurrent,
      max_queue_wait_ms: queueWait
    };
    if (
      timeout !== current.request_timeout_ms ||
      concurrent !== current.max_concurrent_requests ||
      queueWait !== current.max_queue_wait_ms
    ) {
      body.request_settings = settings;
    }
  }
  try {
    const env = parseEnvironment(form.environment);
    const before = deployment.environment_variables ?? {};
    const same =
      Object.keys(env).length === Object.keys(before).length &&
      Object.entries(env).every(([key, value]) => before[key] === value);
    if (!same) {
      body.environment_variables = env;
    }
  } catch (error) {
    errors.environment = (error as Error).message;
  }
  if (Object.keys(errors).length > 0) {
    return { errors };
  }
  if (Object.keys(body).length === 0) {
    return { errors: { form: 'Nothing changed: edit a field, or cancel.' } };
  }
  return { errors, body };
}

/**
 * Move one deployment's share. With two deployments the other takes the rest,
 * so a slider alone shifts traffic; with more, the user balances them.
 */
export function adjustTraffic(
  traffic: Record<string, number>,
  deployment: string,
  value: number
): Record<string, number> {
  const clamped = Math.max(0, Math.min(100, Math.round(value)));
  const next = { ...traffic, [deployment]: clamped };
  const others = Object.keys(next).filter(name => name !== deployment);
  if (others.length === 1) {
    next[others[0]] = 100 - clamped;
  }
  return next;
}

/** Parse the test form's payload; throws a message that says what to fix. */
export function parsePayload(text: string): unknown {
  if (!text.trim()) {
    throw new Error('Write a JSON payload, e.g. {"inputs": [[5.1, 3.5, 1.4, 0.2]]}.');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`The payload is not valid JSON: ${(error as Error).message}`);
  }
}

// ---- the model ---------------------------------------------------------------------------

/** Live figures of one deployment: counts since it started, and a rate between two polls. */
export interface IDeploymentFigures {
  requests: number;
  errors: number;
  p50_ms: number | null;
  p99_ms: number | null;
  /** Requests per second since the previous poll; null on the first. */
  rate: number | null;
}

/** Something the user should hear about although no dialog is open. */
export interface IEndpointNotice {
  kind: 'routed' | 'updated' | 'failed';
  endpoint: string;
  deployment: string;
  message: string;
}

/**
 * Endpoints; for the selected one, its deployments with health, live request
 * and latency figures, keys (on demand), a traffic split being edited, and the
 * last test response. Polls fast while a deployment is changing state.
 */
export class EndpointsModel extends PolledModel {
  constructor(options: EndpointsModel.IOptions = {}) {
    super({ interval: EndpointsModel.IDLE_MS, name: 'mlservice:endpoints', ...options });
    this._now = options.now ?? (() => Date.now());
  }

  static readonly IDLE_MS = 15000;
  static readonly LIVE_MS = 4000;
  static readonly BUSY_MS = 1500;

  get items(): ReadonlyArray<Endpoint> {
    return this._items;
  }

  get selected(): string | null {
    return this._selected;
  }

  get selectedEndpoint(): Endpoint | null {
    return this._items.find(e => e.name === this._selected) ?? null;
  }

  /** Deployments of the selected endpoint. */
  get deployments(): ReadonlyArray<Deployment> {
    return this._deployments;
  }

  figures(deployment: string): IDeploymentFigures | null {
    return this._figures.get(deployment) ?? null;
  }

  /** The selected endpoint's keys, once `loadKeys()` fetched them. */
  get keys(): EndpointKeys | null {
    return this._keys;
  }

  /** Traffic as shown: the edit in progress, else the endpoint's. */
  get traffic(): Record<string, number> {
    if (this._draft) {
      return { ...this._draft };
    }
    const out: Record<string, number> = {};
    for (const d of this._deployments) {
      out[d.name] = this.selectedEndpoint?.traffic?.[d.name] ?? 0;
    }
    return out;
  }

  /** True while the user has moved a slider and not applied it. */
  get trafficDirty(): boolean {
    return this._draft !== null;
  }

  get trafficError(): string | null {
    return this._draft ? trafficError(this._draft, this.mirror) : null;
  }

  /** The selected endpoint's mirror traffic: deployment -> percent of requests copied to it. */
  get mirror(): Record<string, number> {
    return activeMirror(this.selectedEndpoint);
  }

  /** Deployments being updated ("endpoint/name"), watched until they serve again or fail. */
  get updating(): ReadonlySet<string> {
    return this._updating;
  }

  get lastResponse(): InvokeResponse | null {
    return this._lastResponse;
  }

  get invoking(): boolean {
    return this._invoking;
  }

  /** Deployments that get all traffic once healthy: endpoint -> deployment. */
  get pendingRoutes(): ReadonlyMap<string, string> {
    return this._pending;
  }

  /** Emits when a deployment that was waiting to take traffic took it, or failed. */
  get notices(): ISignal<this, IEndpointNotice> {
    return this._notices;
  }

  async select(name: string | null): Promise<void> {
    if (name === this._selected) {
      return;
    }
    this._selected = name;
    this._deployments = [];
    this._figures.clear();
    this._samples.clear();
    this._keys = null;
    this._draft = null;
    this._lastResponse = null;
    this.emitChanged();
    await this.refresh();
  }

  async create(body: EndpointCreate): Promise<Endpoint> {
    const endpoint = await api.createEndpoint(body);
    await this.select(endpoint.name);
    await this.refresh();
    return endpoint;
  }

  async remove(name: string): Promise<void> {
    await api.deleteEndpoint(name);
    this._pending.delete(name);
    if (this._selected === name) {
      await this.select(null);
    }
    await this.refresh();
  }

  /**
   * Create the endpoint if asked, then the deployment (which starts as
   * Creating); with `allTraffic` the model routes all traffic to it once the
   * poll sees it Healthy.
   */
  async deploy(plan: IDeployPlan): Promise<Deployment> {
    if (plan.createEndpoint) {
      await api.createEndpoint({ name: plan.endpoint, auth_mode: plan.authMode, description: '' });
    }
    const deployment = await api.createDeployment(plan.endpoint, plan.deployment);
    if (plan.allTraffic) {
      this._pending.set(plan.endpoint, deployment.name);
    }
    this._selected = null; // select() below resets the detail
    await this.select(plan.endpoint);
    return deployment;
  }

  async deleteDeployment(endpoint: string, name: string): Promise<void> {
    await api.deleteDeployment(endpoint, name);
    if (this._pending.get(endpoint) === name) {
      this._pending.delete(endpoint);
    }
    await this.refresh();
  }

  setTraffic(deployment: string, value: number): void {
    this._draft = adjustTraffic(this.traffic, deployment, value);
    this.emitChanged();
  }

  resetTraffic(): void {
    this._draft = null;
    this.emitChanged();
  }

  /** Send the edited split; the server checks it again (deployments that exist, 100%). */
  async applyTraffic(): Promise<void> {
    const endpoint = this._selected;
    const draft = this._draft;
    if (!endpoint || !draft) {
      return;
    }
    const problem = trafficError(draft);
    if (problem) {
      throw new Error(problem);
    }
    const updated = await api.setEndpointTraffic(endpoint, draft);
    this._replace(updated);
    this._draft = null;
    this.emitChanged();
    await this.refresh();
  }

  /**
   * Replace the selected endpoint's mirror table (`{}` stops mirroring); the
   * server refuses what its rules forbid, with a message that says why.
   */
  async setMirror(mirror: Record<string, number>): Promise<Endpoint | null> {
    const endpoint = this._selected;
    if (!endpoint) {
      return null;
    }
    const updated = await api.setEndpointMirror(endpoint, mirror);
    this._replace(updated);
    this.emitChanged();
    await this.refresh();
    return updated;
  }

  /**
   * Send the changes of a deployment: it shows Updating at once, and a notice
   * says when the new version serves (or failed, the old one serving meanwhile).
   */
  async updateDeployment(endpoint: string, name: string, body: DeploymentUpdate): Promise<Deployment> {
    const deployment = await api.updateDeployment(endpoint, name, body);
    this._updating.add(`${endpoint}/${name}`);
    if (endpoint === this._selected) {
      this._deployments = this._deployments.map(d => (d.name === name ? deployment : d));
    }
    this.emitChanged();
    await this.refresh();
    return deployment;
  }

  async loadKeys(): Promise<EndpointKeys | null> {
    if (!this._selected) {
      return null;
    }
    const name = this._selected;
    const keys = await api.getEndpointKeys(name);
    if (this._selected === name) {
      this._keys = keys;
      this.emitChanged();
    }
    return keys;
  }

  async regenerateKey(which: 'primary' | 'secondary'): Promise<EndpointKeys | null> {
    if (!this._selected) {
      return null;
    }
    const name = this._selected;
    const keys = await api.regenerateEndpointKey(name, which);
    if (this._selected === name) {
      this._keys = keys;
      this.emitChanged();
    }
    return keys;
  }

  /** Send a test request to the selected endpoint and keep the response to show. */
  async invoke(payload: string, path: string, deployment: string | null): Promise<InvokeResponse> {
    const endpoint = this._selected;
    if (!endpoint) {
      throw new Error('Select an endpoint first.');
    }
    const data = parsePayload(payload);
    this._invoking = true;
    this.emitChanged();
    try {
      const response = await api.invokeEndpoint(endpoint, {
        data,
        path: path.trim() || '/invocations',
        deployment: deployment || null
      });
      if (this._selected === endpoint) {
        this._lastResponse = response;
      }
      return response;
    } finally {
      this._invoking = false;
      this.emitChanged();
      // The request shows up in the figures at once rather than at the next poll.
      void this.refresh().catch(() => undefined);
    }
  }

  protected async fetch(): Promise<void> {
    const items: Endpoint[] = [];
    let cursor: string | null | undefined = null;
    for (let i = 0; i < 10; i++) {
      const page: api.IPage<Endpoint> = await api.listEndpoints({ limit: 100, cursor });
      items.push(...page.items);
      cursor = page.next_cursor;
      if (!cursor) {
        break;
      }
    }
    this._items = items;
    const names = new Set(items.map(e => e.name));
    for (const endpoint of [...this._pending.keys()]) {
      if (!names.has(endpoint)) {
        this._pending.delete(endpoint);
      }
    }
    const selected = this._selected && names.has(this._selected) ? this._selected : null;
    if (selected !== this._selected) {
      this._selected = null;
      this._deployments = [];
      this._keys = null;
      this._draft = null;
    }
    if (selected) {
      const [deployments, metrics] = await Promise.all([
        api.listDeployments(selected),
        // Figures are a bonus: an endpoint that is still starting may not have any.
        api.getEndpointMetrics(selected).catch(() => null)
      ]);
      if (this._selected === selected) {
        this._deployments = deployments.items;
        this._updateFigures(metrics?.deployments ?? {});
        if (this._draft) {
          // Drop shares of deployments that went away.
          const present = new Set(this._deployments.map(d => d.name));
          for (const name of Object.keys(this._draft)) {
            if (!present.has(name)) {
              delete this._draft[name];
            }
          }
        }
      }
    }
    await this._routePending();
    await this._watchUpdates();
    this._tune();
  }

  /** Say when an updated deployment serves its new version, or failed to. */
  private async _watchUpdates(): Promise<void> {
    for (const key of [...this._updating]) {
      const slash = key.indexOf('/');
      const endpoint = key.slice(0, slash);
      const name = key.slice(slash + 1);
      let deployment: Deployment | undefined =
        endpoint === this._selected ? this._deployments.find(d => d.name === name) : undefined;
      if (!deployment) {
        try {
          deployment = await api.getDeployment(endpoint, name);
        } catch (error) {
          if ((error as api.MLServiceError).status === 404) {
            this._updating.delete(key);
          }
          continue;
        }
      }
      if (deployment.status === 'Healthy') {
        this._updating.delete(key);
        this._notices.emit({
          kind: 'updated',
          endpoint,
          deployment: name,
          message: `Deployment "${name}" of "${endpoint}" is updated and healthy (${deployment.model_name}:${deployment.model_version}, ${deployment.replicas} replica${deployment.replicas === 1 ? '' : 's'}).`
        });
      } else if (deployment.status === 'Failed' || deployment.status === 'Unhealthy') {
        this._updating.delete(key);
        this._notices.emit({
          kind: 'failed',
          endpoint,
          deployment: name,
          message:
            deployment.status === 'Failed'
              ? `Updating deployment "${name}" of "${endpoint}" failed (its previous version serves meanwhile): ${deployment.error ?? 'see its logs'}`
              : `Deployment "${name}" of "${endpoint}" is Unhealthy after the update: ${deployment.error ?? 'see its logs'}`
        });
      }
    }
  }

  /** Give a deployment all traffic once it is healthy; say so when it failed instead. */
  private async _routePending(): Promise<void> {
    for (const [endpoint, name] of [...this._pending]) {
      let deployment: Deployment | undefined;
      if (endpoint === this._selected) {
        deployment = this._deployments.find(d => d.name === name);
      }
      if (!deployment) {
        try {
          deployment = await api.getDeployment(endpoint, name);
        } catch (error) {
          if ((error as api.MLServiceError).status === 404) {
            this._pending.delete(endpoint);
          }
          continue;
        }
      }
      if (deployment.status === 'Healthy') {
        this._pending.delete(endpoint);
        const item = this._items.find(e => e.name === endpoint);
        const traffic: Record<string, number> = {};
        for (const other of item?.deployments ?? [name]) {
          traffic[other] = 0;
        }
        traffic[name] = 100;
        try {
          this._replace(await api.setEndpointTraffic(endpoint, traffic));
          this._notices.emit({
            kind: 'routed',
            endpoint,
            deployment: name,
            message: `Deployment "${name}" is healthy and takes all traffic of "${endpoint}".`
          });
        } catch (error) {
          this._notices.emit({
            kind: 'failed',
            endpoint,
            deployment: name,
            message: `Deployment "${name}" is healthy, but routing traffic to it failed: ${(error as Error).message}`
          });
        }
      } else if (deployment.status === 'Failed') {
        this._pending.delete(endpoint);
        this._notices.emit({
          kind: 'failed',
          endpoint,
          deployment: name,
          message: `Deployment "${name}" of "${endpoint}" failed: ${deployment.error ?? 'see its logs'}`
        });
      }
    }
  }

  private _updateFigures(metrics: Record<string, Record<string, number>>): void {
    const now = this._now();
    const next = new Map<string, IDeploymentFigures>();
    for (const [name, m] of Object.entries(metrics)) {
      const requests = m.requests ?? 0;
      const previous = this._samples.get(name);
      let rate: number | null = null;
      if (previous && now > previous.at && requests >= previous.requests) {
        rate = ((requests - previous.requests) * 1000) / (now - previous.at);
      }
      this._samples.set(name, { at: now, requests });
      next.set(name, {
        requests,
        errors: m.errors ?? 0,
        p50_ms: m.p50_ms ?? null,
        p99_ms: m.p99_ms ?? null,
        rate
      });
    }
    this._figures = next;
  }

  private _replace(endpoint: Endpoint): void {
    const index = this._items.findIndex(e => e.name === endpoint.name);
    if (index >= 0) {
      this._items = [...this._items];
      this._items[index] = endpoint;
    }
  }

  /** Fast while something changes by itself, live while an endpoint is open, slow otherwise. */
  private _tune(): void {
    const busy =
      this._pending.size > 0 ||
      this._updating.size > 0 ||
      this._items.some(e => api.TRANSITIONAL_DEPLOYMENT_STATUSES.has(e.status)) ||
      this._deployments.some(d => api.TRANSITIONAL_DEPLOYMENT_STATUSES.has(d.status));
    const interval = busy
      ? EndpointsModel.BUSY_MS
      : this._selected
        ? EndpointsModel.LIVE_MS
        : EndpointsModel.IDLE_MS;
    if (this.poll.frequency.interval !== interval) {
      this.poll.frequency = { ...this.poll.frequency, interval };
    }
  }

  private _items: Endpoint[] = [];
  private _selected: string | null = null;
  private _deployments: Deployment[] = [];
  private _figures = new Map<string, IDeploymentFigures>();
  private _samples = new Map<string, { at: number; requests: number }>();
  private _keys: EndpointKeys | null = null;
  private _draft: Record<string, number> | null = null;
  private _lastResponse: InvokeResponse | null = null;
  private _invoking = false;
  private _pending = new Map<string, string>();
  private _updating = new Set<string>();
  private _notices = new Signal<this, IEndpointNotice>(this);
  private _now: () => number;
}

export namespace EndpointsModel {
  export interface IOptions extends PolledModel.IOptions {
    /** The clock used for request rates (tests pass a fake one). */
    now?: () => number;
  }
}

/** The log of one deployment, read by offset like a job's. */
export class DeploymentLogsModel extends PolledModel {
  constructor(options: DeploymentLogsModel.IOptions) {
    super({ interval: 2000, maxInterval: 15000, name: `mlservice:logs:${options.endpoint}/${options.deployment}`, ...options });
    this.endpoint = options.endpoint;
    this.deployment = options.deployment;
  }

  readonly endpoint: string;
  readonly deployment: string;

  get text(): string {
    return this._text;
  }

  get complete(): boolean {
    return this._complete;
  }

  protected async fetch(): Promise<void> {
    const chunk = await api.getDeploymentLogs(this.endpoint, this.deployment, this._offset);
    if (chunk.text) {
      // Keep the tail: a serving log grows without end.
      this._text = (this._text + chunk.text).slice(-1_000_000);
    }
    this._offset = chunk.offset ?? this._offset + (chunk.text?.length ?? 0);
    this._complete = !!chunk.complete;
  }

  private _text = '';
  private _offset = 0;
  private _complete = false;
}

export namespace DeploymentLogsModel {
  export interface IOptions extends PolledModel.IOptions {
    endpoint: string;
    deployment: string;
  }
}
