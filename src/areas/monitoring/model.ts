/**
 * The Monitoring area's models: monitors by name, one monitor open in its view (its runs,
 * alerts, drift over time, one run's results and histograms, its endpoint's traffic), and one
 * endpoint's monitoring view. The only files of the area that call the API.
 */
import * as api from '../../api/client';
import type { Alert, EndpointSeries, FeatureSeries, Monitor, MonitorRun, MonitorRunDetail } from '../../api/client';
import { PolledModel } from '../../models/base';
import { ServiceEvents, addEventKind } from '../../models/events';
import { IListQuery, ListModel } from '../../models/list';

/** What the server says when a monitor run ends (`run`) or raises an alert (`alert`): `.../jupyter_mlservice/monitor`. */
export interface IMonitorEvent {
  action: 'run' | 'alert';
  monitor: string;
  run_id: number;
  job_id?: string;
  state?: 'Completed' | 'Failed';
  breached?: boolean | null;
  error?: string | null;
  alert_id?: number;
  message?: string;
  notify?: boolean;
  signals?: string[];
}

declare module '../../models/events' {
  interface IServiceEventMap {
    monitor: IMonitorEvent;
  }
}
addEventKind('monitor', 'monitor');

/** Runs a monitor view reads (the heatmap's columns, the runs table). */
const RUNS = 30;

/** The runs of the latest alerts, whose results the alerts table shows the values of. */
const ALERT_VALUES_OF = (alerts: ReadonlyArray<Alert>) => [...new Set(alerts.slice(0, 5).map(a => a.run_id))];

/** Monitors by name, a page at a time; refreshed when a run ends or alerts. */
export class MonitorsModel extends ListModel<Monitor> {
  constructor(options: MonitorsModel.IOptions = {}) {
    super({ name: 'mlservice:monitors', ...options });
    const events = options.events ?? new ServiceEvents(null);
    this.own(events.on('monitor', () => void this.refresh().catch(() => undefined)));
  }

  key(monitor: Monitor): string {
    return monitor.name;
  }

  async runNow(name: string): Promise<MonitorRun> {
    const run = await api.runMonitorNow(name);
    await this.refresh();
    return run;
  }

  async setEnabled(name: string, enabled: boolean): Promise<void> {
    await api.setMonitorEnabled(name, enabled);
    await this.refresh();
  }

  async remove(name: string): Promise<void> {
    await api.deleteMonitor(name);
    this.forget(name);
  }

  protected fetchPage(query: IListQuery<Record<string, string | null>>): Promise<api.IPage<Monitor>> {
    return api.listMonitors({ limit: query.limit, cursor: query.cursor });
  }
}

export namespace MonitorsModel {
  export interface IOptions extends ListModel.IOptions {
    events?: ServiceEvents;
  }
}

/**
 * One monitor: its settings, latest runs and alerts, the drift of each feature over those runs,
 * one run's results (the latest completed one unless another is chosen) and, for an endpoint's
 * monitor, the endpoint's traffic. Refreshed when one of its runs ends; the traffic changes
 * without events, so it also polls every 15 s while open.
 */
export class MonitorDetailModel extends PolledModel {
  constructor(options: MonitorDetailModel.IOptions) {
    super({ interval: 15000, name: `mlservice:monitor:${options.monitor}`, ...options });
    this.name = options.monitor;
    const events = options.events ?? new ServiceEvents(null);
    this.own(events.on('monitor', event => event.monitor === this.name && void this.refresh().catch(() => undefined)));
  }

  readonly name: string;

  get monitor(): Monitor | null {
    return this._monitor;
  }

  /** The latest runs, newest first. */
  get runs(): ReadonlyArray<MonitorRun> {
    return this._runs;
  }

  /** The latest alerts, newest first. */
  get alerts(): ReadonlyArray<Alert> {
    return this._alerts;
  }

  /** Input drift per feature over the latest completed runs. */
  get drift(): FeatureSeries | null {
    return this._drift;
  }

  /** The watched endpoint's requests, errors and latency (null for other monitors). */
  get series(): EndpointSeries | null {
    return this._series;
  }

  /** The run whose results are shown, with its features and histograms. */
  get run(): MonitorRunDetail | null {
    return this._runId === null ? null : (this._details.get(this._runId) ?? null);
  }

  /** A run's results, once read (the run shown, and the runs of the latest alerts). */
  runDetail(id: number): MonitorRunDetail | null {
    return this._details.get(id) ?? null;
  }

  /** The feature whose histogram is shown (null: the view picks the most drifted). */
  get feature(): string | null {
    return this._feature;
  }

  /** Show this run's results (a completed run of the monitor). */
  async selectRun(id: number): Promise<void> {
    this._runId = id;
    this._chosen = true;
    this.emitChanged();
    // A failed read shows nothing for the run; the next refresh reads it again.
    await this._readRun(id).catch(() => undefined);
    this.emitChanged();
  }

  /** Show this feature's histogram; with `run`, in that run. */
  async selectFeature(feature: string, run?: number): Promise<void> {
    this._feature = feature;
    if (run !== undefined && run !== this._runId) {
      await this.selectRun(run);
      return;
    }
    this.emitChanged();
  }

  async runNow(): Promise<MonitorRun> {
    const run = await api.runMonitorNow(this.name);
    await this.refresh();
    return run;
  }

  async setEnabled(enabled: boolean): Promise<void> {
    this._monitor = await api.setMonitorEnabled(this.name, enabled);
    this.emitChanged();
  }

  protected async fetch(): Promise<void> {
    const monitor = await this.unlessGone(() => api.getMonitor(this.name));
    if (!monitor) {
      this._monitor = null;
      return;
    }
    const [runs, alerts, drift, series] = await Promise.all([
      api.listMonitorRuns(this.name, { limit: RUNS }),
      api.listMonitorAlerts(this.name, { limit: 50 }),
      api.getMonitorFeatureSeries(this.name, { signal: 'data_drift', limit: RUNS }),
      monitor.endpoint ? api.getEndpointSeries(monitor.endpoint, { deployment: monitor.deployment }).catch(() => null) : Promise.resolve(null)
    ]);
    this._monitor = monitor;
    this._runs = runs.items;
    this._alerts = alerts.items;
    this._drift = drift;
    this._series = series;
    if (!this._chosen) {
      this._runId = runs.items.find(r => r.state === 'Completed')?.id ?? null;
    }
    if (this._runId !== null) {
      await this._readRun(this._runId);
    }
    // The values behind the latest alerts (what breached, by how much): read once each.
    await Promise.all(ALERT_VALUES_OF(alerts.items).map(id => this._readRun(id).catch(() => undefined)));
  }

  /** A completed run's results never change: read once. */
  private async _readRun(id: number): Promise<void> {
    if (!this._details.has(id)) {
      this._details.set(id, await api.getMonitorRun(this.name, id));
    }
  }

  private _monitor: Monitor | null = null;
  private _runs: MonitorRun[] = [];
  private _alerts: Alert[] = [];
  private _drift: FeatureSeries | null = null;
  private _series: EndpointSeries | null = null;
  private _details = new Map<number, MonitorRunDetail>();
  private _runId: number | null = null;
  private _chosen = false;
  private _feature: string | null = null;
}

export namespace MonitorDetailModel {
  export interface IOptions extends PolledModel.IOptions {
    /** The monitor's name. */
    monitor: string;
    events?: ServiceEvents;
  }
}

/**
 * One endpoint's monitoring view: its traffic over time per deployment and the monitors that
 * watch it. Polled every 15 s (traffic has no events); refreshed when one of its monitors ran.
 */
export class EndpointMonitoringModel extends PolledModel {
  constructor(options: EndpointMonitoringModel.IOptions) {
    super({ interval: 15000, name: `mlservice:endpoint-monitoring:${options.endpoint}`, ...options });
    this.endpoint = options.endpoint;
    const events = options.events ?? new ServiceEvents(null);
    const refresh = () => void this.refresh().catch(() => undefined);
    this.own(
      events.on('monitor', event => this._monitors.some(m => m.name === event.monitor) && refresh()),
      events.on('endpoint', event => event.endpoint === this.endpoint && refresh())
    );
  }

  readonly endpoint: string;

  get series(): EndpointSeries | null {
    return this._series;
  }

  get monitors(): ReadonlyArray<Monitor> {
    return this._monitors;
  }

  protected async fetch(): Promise<void> {
    const series = await this.unlessGone(() => api.getEndpointSeries(this.endpoint));
    if (!series) {
      return;
    }
    this._series = series;
    this._monitors = (await api.listMonitors({ endpoint: this.endpoint, limit: 100 })).items;
  }

  private _series: EndpointSeries | null = null;
  private _monitors: Monitor[] = [];
}

export namespace EndpointMonitoringModel {
  export interface IOptions extends PolledModel.IOptions {
    endpoint: string;
    events?: ServiceEvents;
  }
}
