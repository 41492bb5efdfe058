import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import * as api from '../../api/client';
import type {
  Deployment,
  DeploymentUpdate,
  Endpoint,
  EndpointCreate,
  EndpointKeys,
  InvokeResponse
} from '../../api/client';
import { PolledModel } from '../../models/base';
import { ServiceEvents } from '../../models/events';
import { IListQuery, ListModel, fetchAll } from '../../models/list';
import { trans } from '../../translate';
import { IDeployPlan, activeMirror, adjustTraffic, parsePayload, trafficError } from './forms';

/** Something the user should hear about although no dialog is open. */
export interface IEndpointNotice {
  kind: 'ready' | 'updated' | 'failed';
  endpoint: string;
  deployment: string;
  message: string;
}

/** Why a deployment is watched: it was just deployed, or just updated. */
type WatchReason = 'deploy' | 'update';

function isGone(error: unknown): boolean {
  return (error as api.MLServiceError).status === 404;
}

/**
 * The Endpoints area: endpoints a page at a time, and the actions on them. It
 * watches the deployments the user just deployed or updated, and says when they
 * serve (or failed), wherever the user is by then.
 */
export class EndpointsModel extends ListModel<Endpoint> {
  constructor(options: EndpointsModel.IOptions = {}) {
    super({ name: 'mlservice:endpoints', ...options });
    this._events = options.events ?? new ServiceEvents(null);
    this.own(this._events.on('endpoint', event => {
      void this.refresh().catch(() => undefined);
      if (this._watched.has(`${event.endpoint}/${event.deployment}`)) {
        void this._watchPoll.refresh();
      }
    }));
    this._watchPoll = new Poll({
      auto: false,
      factory: () => this._checkWatched(),
      frequency: { interval: options.watchInterval ?? 3000, backoff: true, max: 30000 },
      standby: 'never',
      name: 'mlservice:endpoints-watch'
    });
    this.own(this._watchPoll);
  }

  key(endpoint: Endpoint): string {
    return endpoint.name;
  }

  /** Says when a watched deployment serves, or failed. */
  get notices(): ISignal<this, IEndpointNotice> {
    return this._notices;
  }

  /** Deployments watched until they serve or fail ("endpoint/deployment"). */
  get watched(): ReadonlyArray<string> {
    return [...this._watched.keys()];
  }

  async create(body: EndpointCreate): Promise<Endpoint> {
    const endpoint = await api.createEndpoint(body);
    this._changedLocally(endpoint.name, null, 'created');
    return endpoint;
  }

  async remove(name: string): Promise<void> {
    await api.deleteEndpoint(name);
    for (const key of [...this._watched.keys()]) {
      if (key.startsWith(`${name}/`)) {
        this._watched.delete(key);
      }
    }
    this.forget(name);
    this._changedLocally(name, null, 'deleted');
  }

  /**
   * Create the endpoint if asked, then the deployment (which starts as Creating),
   * and watch it until it serves; with `all_traffic` the server routes the
   * endpoint's traffic to it once it is Healthy.
   */
  async deploy(plan: IDeployPlan): Promise<Deployment> {
    if (plan.createEndpoint) {
      await api.createEndpoint({ name: plan.endpoint, auth_mode: plan.authMode, description: '' });
    }
    const deployment = await api.createDeployment(plan.endpoint, plan.deployment);
    this._watch(plan.endpoint, deployment.name, 'deploy');
    this._changedLocally(plan.endpoint, deployment.name, 'created');
    return deployment;
  }

  async deleteDeployment(endpoint: string, name: string): Promise<void> {
    await api.deleteDeployment(endpoint, name);
    this._watched.delete(`${endpoint}/${name}`);
    this._changedLocally(endpoint, name, 'deleted');
  }

  /**
   * Send the changes of a deployment: it shows Updating at once, and a notice
   * says when the new version serves (or failed, the old one serving meanwhile).
   */
  async updateDeployment(endpoint: string, name: string, body: DeploymentUpdate): Promise<Deployment> {
    const deployment = await api.updateDeployment(endpoint, name, body);
    this._watch(endpoint, name, 'update');
    this._changedLocally(endpoint, name, 'updated');
    return deployment;
  }

  getDeployment(endpoint: string, name: string): Promise<Deployment> {
    return api.getDeployment(endpoint, name);
  }

  /** Every endpoint (a workspace has a handful), for the deploy dialog's choices. */
  all(): Promise<Endpoint[]> {
    return fetchAll(query => api.listEndpoints(query), 10);
  }

  protected fetchPage(query: IListQuery<Record<string, string | null>>): Promise<api.IPage<Endpoint>> {
    return api.listEndpoints({ limit: query.limit, cursor: query.cursor });
  }

  /** Tell every model (this list, an open endpoint, Home, the sidebar) what changed here. */
  private _changedLocally(endpoint: string, deployment: string | null, action: 'created' | 'updated' | 'deleted'): void {
    this._events.emit('endpoint', { endpoint, deployment, action, status: null });
  }

  private _watch(endpoint: string, name: string, reason: WatchReason): void {
    this._watched.set(`${endpoint}/${name}`, reason);
    void this._watchPoll.start().catch(() => undefined);
  }

  /** Say when a watched deployment serves (or failed); stop watching once none is left. */
  private async _checkWatched(): Promise<void> {
    for (const [key, reason] of [...this._watched]) {
      const slash = key.indexOf('/');
      const endpoint = key.slice(0, slash);
      const name = key.slice(slash + 1);
      let deployment: Deployment;
      try {
        deployment = await api.getDeployment(endpoint, name);
      } catch (error) {
        if (isGone(error)) {
          this._watched.delete(key);
        }
        continue;
      }
      const notice = noticeFor(reason, deployment);
      if (notice) {
        this._watched.delete(key);
        this._notices.emit(notice);
        this._changedLocally(endpoint, name, 'updated');
      }
    }
    if (this._watched.size === 0) {
      void this._watchPoll.stop().catch(() => undefined);
    }
  }

  private _events: ServiceEvents;
  private _watched = new Map<string, WatchReason>();
  private _watchPoll: Poll;
  private _notices = new Signal<this, IEndpointNotice>(this);
}

export namespace EndpointsModel {
  export interface IOptions extends ListModel.IOptions {
    events?: ServiceEvents;
    /** How often deployments being deployed or updated are read (ms). */
    watchInterval?: number;
  }
}

/** What to tell about a watched deployment now, or null while it is still on its way. */
export function noticeFor(reason: WatchReason, deployment: Deployment): IEndpointNotice | null {
  const { endpoint, name } = deployment;
  const base = { endpoint, deployment: name };
  const why = deployment.error ?? trans.__('see its logs');
  if (deployment.status === 'Failed' || (reason === 'update' && deployment.status === 'Unhealthy')) {
    const message =
      reason === 'update'
        ? deployment.status === 'Failed'
          ? trans.__('Updating deployment "%1" of "%2" failed (its previous version serves meanwhile): %3', name, endpoint, why)
          : trans.__('Deployment "%1" of "%2" is Unhealthy after the update: %3', name, endpoint, why)
        : trans.__('Deployment "%1" of "%2" failed: %3', name, endpoint, why);
    return { ...base, kind: 'failed', message };
  }
  if (deployment.status !== 'Healthy' || deployment.all_traffic_pending) {
    return null;
  }
  if (reason === 'update') {
    return {
      ...base,
      kind: 'updated',
      message: trans._n(
        'Deployment "%2" of "%3" is updated and healthy (%4, %1 replica).',
        'Deployment "%2" of "%3" is updated and healthy (%4, %1 replicas).',
        deployment.replicas,
        name,
        endpoint,
        `${deployment.model_name}:${deployment.model_version}`
      )
    };
  }
  return {
    ...base,
    kind: 'ready',
    message:
      (deployment.traffic ?? 0) >= 100
        ? trans.__('Deployment "%1" is healthy and takes all traffic of "%2".', name, endpoint)
        : trans.__('Deployment "%1" of "%2" is healthy; it takes %3% of the traffic.', name, endpoint, deployment.traffic ?? 0)
  };
}

/** Live figures of one deployment: counts since it started, and a rate between two polls. */
export interface IDeploymentFigures {
  requests: number;
  errors: number;
  p50_ms: number | null;
  p99_ms: number | null;
  /** Requests per second since the previous poll; null on the first. */
  rate: number | null;
}

/**
 * One endpoint, open in its view: its deployments with health, live request and
 * latency figures (polled while open: figures have no events), keys on demand,
 * a traffic split being edited, mirror traffic and the last test response.
 */
export class EndpointDetailModel extends PolledModel {
  constructor(options: EndpointDetailModel.IOptions) {
    super({ interval: EndpointDetailModel.LIVE_MS, name: `mlservice:endpoint:${options.endpoint}`, ...options });
    this.name = options.endpoint;
    this._now = options.now ?? (() => Date.now());
    this.own((options.events ?? new ServiceEvents(null)).on('endpoint', event => {
      if (event.endpoint === this.name) {
        void this.refresh().catch(() => undefined);
      }
    }));
  }

  /** How often an open endpoint's figures are read (ms). */
  static readonly LIVE_MS = 4000;

  readonly name: string;

  get endpoint(): Endpoint | null {
    return this._endpoint;
  }

  get deployments(): ReadonlyArray<Deployment> {
    return this._deployments;
  }

  figures(deployment: string): IDeploymentFigures | null {
    return this._figures.get(deployment) ?? null;
  }

  /** The keys, once `loadKeys()` fetched them. */
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
      out[d.name] = this._endpoint?.traffic?.[d.name] ?? 0;
    }
    return out;
  }

  /** True while the user has moved a slider and not applied it. */
  get trafficDirty(): boolean {
    return this._draft !== null;
  }

  /** True while an edited split is being sent (the server rolls it out before it answers). */
  get applyingTraffic(): boolean {
    return this._applyingTraffic;
  }

  get trafficError(): string | null {
    return this._draft ? trafficError(this._draft, this.mirror) : null;
  }

  /** Mirror traffic: deployment -> percent of requests copied to it. */
  get mirror(): Record<string, number> {
    return activeMirror(this._endpoint);
  }

  get lastResponse(): InvokeResponse | null {
    return this._lastResponse;
  }

  get invoking(): boolean {
    return this._invoking;
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
    const draft = this._draft;
    if (!draft) {
      return;
    }
    const problem = trafficError(draft, this.mirror);
    if (problem) {
      throw new Error(problem);
    }
    this._applyingTraffic = true;
    this.emitChanged();
    try {
      this._endpoint = await api.setEndpointTraffic(this.name, draft);
      this._draft = null;
    } finally {
      this._applyingTraffic = false;
      this.emitChanged();
    }
    await this.refresh();
  }

  /** Replace the mirror table (`{}` stops mirroring); the server refuses what its rules forbid, saying why. */
  async setMirror(mirror: Record<string, number>): Promise<Endpoint> {
    this._endpoint = await api.setEndpointMirror(this.name, mirror);
    this.emitChanged();
    await this.refresh();
    return this._endpoint;
  }

  async loadKeys(): Promise<EndpointKeys> {
    this._keys = await api.getEndpointKeys(this.name);
    this.emitChanged();
    return this._keys;
  }

  async regenerateKey(which: 'primary' | 'secondary'): Promise<EndpointKeys> {
    this._keys = await api.regenerateEndpointKey(this.name, which);
    this.emitChanged();
    return this._keys;
  }

  /** Send a test request and keep the response to show. */
  async invoke(payload: string, path: string, deployment: string | null): Promise<InvokeResponse> {
    const data = parsePayload(payload);
    this._invoking = true;
    this.emitChanged();
    try {
      this._lastResponse = await api.invokeEndpoint(this.name, {
        data,
        path: path.trim() || '/invocations',
        deployment: deployment || null
      });
      return this._lastResponse;
    } finally {
      this._invoking = false;
      this.emitChanged();
      // The request shows up in the figures at once rather than at the next poll.
      void this.refresh().catch(() => undefined);
    }
  }

  protected async fetch(): Promise<void> {
    const endpoint = await this.unlessGone(() => api.getEndpoint(this.name));
    if (!endpoint) {
      this._endpoint = null;
      this._deployments = [];
      return;
    }
    const [deployments, metrics] = await Promise.all([
      api.listDeployments(this.name),
      // Figures are a bonus: an endpoint that is still starting may not have any.
      api.getEndpointMetrics(this.name).catch(() => null)
    ]);
    this._endpoint = endpoint;
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
      next.set(name, { requests, errors: m.errors ?? 0, p50_ms: m.p50_ms ?? null, p99_ms: m.p99_ms ?? null, rate });
    }
    this._figures = next;
  }

  private _endpoint: Endpoint | null = null;
  private _deployments: Deployment[] = [];
  private _figures = new Map<string, IDeploymentFigures>();
  private _samples = new Map<string, { at: number; requests: number }>();
  private _keys: EndpointKeys | null = null;
  private _draft: Record<string, number> | null = null;
  private _applyingTraffic = false;
  private _lastResponse: InvokeResponse | null = null;
  private _invoking = false;
  private _now: () => number;
}

export namespace EndpointDetailModel {
  export interface IOptions extends PolledModel.IOptions {
    /** The endpoint's name. */
    endpoint: string;
    events?: ServiceEvents;
    /** The clock used for request rates (tests pass a fake one). */
    now?: () => number;
  }
}

/** One endpoint's health at a glance: status, requests and errors over all its deployments. */
export interface IEndpointHealth {
  endpoint: Endpoint;
  requests: number;
  errors: number;
  /** errors / requests, or null before the first request. */
  errorRate: number | null;
}

/**
 * Endpoints with their health and error rates, for Home and the sidebar's
 * index: refreshed on endpoint events, polled slowly otherwise.
 */
export class EndpointHealthModel extends PolledModel {
  constructor(options: EndpointHealthModel.IOptions = {}) {
    super({ name: 'mlservice:endpoint-health', ...options });
    this.limit = options.limit ?? 20;
    this.own((options.events ?? new ServiceEvents(null)).on('endpoint', () => {
      void this.refresh().catch(() => undefined);
    }));
  }

  readonly limit: number;

  get items(): ReadonlyArray<IEndpointHealth> {
    return this._items;
  }

  /** True when there are more endpoints than shown. */
  get more(): boolean {
    return this._more;
  }

  protected async fetch(): Promise<void> {
    const page = await api.listEndpoints({ limit: this.limit });
    this._more = !!page.next_cursor;
    this._items = await Promise.all(
      page.items.map(async endpoint => {
        const metrics = await api.getEndpointMetrics(endpoint.name).catch(() => null);
        let requests = 0;
        let errors = 0;
        for (const m of Object.values(metrics?.deployments ?? {})) {
          requests += m.requests ?? 0;
          errors += m.errors ?? 0;
        }
        return { endpoint, requests, errors, errorRate: requests > 0 ? errors / requests : null };
      })
    );
  }

  private _items: IEndpointHealth[] = [];
  private _more = false;
}

export namespace EndpointHealthModel {
  export interface IOptions extends PolledModel.IOptions {
    events?: ServiceEvents;
    /** Endpoints shown (the first page). */
    limit?: number;
  }
}

/** The log of one deployment, read by offset like a job's. */
export class DeploymentLogsModel extends PolledModel {
  constructor(options: DeploymentLogsModel.IOptions) {
    super({
      interval: 2000,
      maxInterval: 15000,
      name: `mlservice:logs:${options.endpoint}/${options.deployment}`,
      ...options
    });
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
