/**
 * The Monitoring area: the charts' maths (traffic lines, the drift heatmap, histograms, data
 * quality, which alerts a later run resolved), the models (monitors, one monitor, an endpoint's
 * monitoring) and the views (the drifted feature first, its histogram on a click, alerts).
 */
import { act, fireEvent, render, screen, within } from '@testing-library/react';
import * as React from 'react';

import { Notification } from '@jupyterlab/apputils';

import * as api from '../api/client';
import { notifyAlerts } from '../areas/monitoring/commands';
import { alertStates, breachedValues, endpointCharts, heatColour, heatmap, lineSegments, pickFeature, qualityRows, timeFrame } from '../areas/monitoring/charts';
import { EndpointMonitoringModel, MonitorDetailModel, MonitorsModel } from '../areas/monitoring/model';
import { EndpointMonitoringView, IMonitorActions, MonitorView, monitorColumns, signalText, watches } from '../areas/monitoring/view';
import { ServiceEvents } from '../models/events';
import { detailHost, endpointSeries, monitor, monitorAlert, monitorRun, monitorRunDetail, settle } from './fixtures';

jest.mock('../api/client', () => jest.requireActual('./fixtures').mockClient());
jest.mock('@jupyterlab/apputils', () => {
  const actual = jest.requireActual('@jupyterlab/apputils');
  return { ...actual, Notification: { ...actual.Notification, warning: jest.fn() } };
});

const mocked = api as jest.Mocked<typeof api>;

beforeEach(() => jest.resetAllMocks());

const point = (run_id: number, statistic: number | null, threshold: number | null, breached: boolean) => ({
  run_id,
  window_end: `2025-01-01T${String(8 + run_id).padStart(2, '0')}:00:00Z`,
  statistic,
  threshold,
  breached
});

/** Drift of three features over two runs: petal_width drifted in run 2. */
const DRIFT = {
  monitor: 'iris-drift',
  signal: 'data_drift',
  features: {
    sepal_length: [point(1, 0.02, 0.1, false), point(2, 0.03, 0.1, false)],
    petal_width: [point(1, 0.05, 0.1, false), point(2, 0.4, 0.1, true)],
    species: [point(2, 0.01, 0.1, false)]
  }
};

const quality = (feature: string, nullRate: number, breached: boolean): api.FeatureResult => ({
  signal: 'data_quality',
  feature,
  kind: 'numeric',
  method: 'null_rate',
  statistic: nullRate,
  threshold: 0.01,
  p_value: breached ? 0.0001 : 0.5,
  breached,
  details: {
    rows: 300,
    checks: {
      null_rate: { rate: nullRate, baseline_rate: 0, threshold: 0.01, p_value: 0.5, breached },
      out_of_range_rate: { rate: 0.02, expected_rate: 0.0066, threshold: 0.01, p_value: 0.4, breached: false }
    }
  }
});

const drift = (feature: string, statistic: number, breached: boolean): api.FeatureResult => ({
  signal: 'data_drift',
  feature,
  kind: 'numeric',
  method: 'wasserstein',
  statistic,
  threshold: 0.1,
  p_value: breached ? 1e-6 : 0.6,
  breached,
  details: {}
});

/** Run 2: petal_width drifted, sepal_length has nulls. */
const FEATURES = [drift('sepal_length', 0.03, false), drift('petal_width', 0.4, true), quality('sepal_length', 0.05, true), quality('petal_width', 0, false)];
const HISTOGRAMS = {
  sepal_length: { kind: 'numeric', labels: ['[4, 5)', '[5, 6)'], baseline: [0.5, 0.5], window: [0.45, 0.55] },
  petal_width: { kind: 'numeric', labels: ['[0, 1)', '[1, 2)', '[2, 3)'], baseline: [0.6, 0.3, 0.1], window: [0.1, 0.3, 0.6] }
};
const RUN2 = monitorRunDetail({
  id: 2,
  breached: true,
  job_id: 'monitor-job-2',
  signals: [{ type: 'data_drift', breached: true, tested: 2, breaches: ['petal_width'], summary: { drifted: 1 } }],
  features: FEATURES,
  histograms: HISTOGRAMS
});

describe('charts', () => {
  it('draws one line per deployment for rates and two (p50, p99) for latency; a gap breaks a line', () => {
    const charts = endpointCharts(endpointSeries());
    expect(charts.requestRate.map(l => l.label)).toEqual(['blue']);
    expect(charts.requestRate[0].points.map(p => p.v)).toEqual([1, 2]);
    expect(charts.errorRate[0].points.map(p => p.v)).toEqual([0, 0.05]);
    expect(charts.latency.map(l => l.label)).toEqual(['blue p50', 'blue p99']);
    const line = { label: 'x', points: [{ t: 0, v: 1 }, { t: 1000, v: null }, { t: 2000, v: 2 }, { t: 3000, v: 0 }] };
    const frame = timeFrame([line])!;
    expect(frame).toEqual({ t0: 0, t1: 3000, max: 2 });
    expect(lineSegments(line, frame, 300, 100)).toEqual(['0,50', '200,0 300,100']);
    expect(timeFrame([{ label: 'empty', points: [] }])).toBeNull();
  });

  it('lays drift out as features by runs, the drifted feature first, each cell its share of the threshold', () => {
    const map = heatmap(DRIFT);
    expect(map.runs.map(r => r.id)).toEqual([1, 2]);
    expect(map.features.map(f => f.name)).toEqual(['petal_width', 'sepal_length', 'species']);
    expect(map.features[0].cells.map(c => c?.ratio)).toEqual([0.5, 4]);
    expect(map.features[2].cells[0]).toBeNull();
    // far below the threshold: pale blue; twice it and more: red
    expect(heatColour(map.features[1].cells[0])).toBe('hsla(189, 80%, 50%, 0.20)');
    expect(heatColour(map.features[0].cells[1])).toBe('hsla(0, 80%, 50%, 0.65)');
    expect(heatColour(null)).toBeUndefined();
  });

  it('reads the data-quality rates of each feature, with the baseline’s or the expected rate', () => {
    const rows = qualityRows(FEATURES);
    expect(rows.map(r => [r.feature, r.breached])).toEqual([
      ['sepal_length', true],
      ['petal_width', false]
    ]);
    expect(rows[0].rates.null_rate).toEqual({ rate: 0.05, baseline: 0, threshold: 0.01, breached: true });
    expect(rows[0].rates.out_of_range_rate?.baseline).toBe(0.0066);
    expect(rows[0].rates.unseen_category_rate).toBeUndefined();
  });

  it('opens the histogram of the most drifted feature unless one was chosen', () => {
    expect(pickFeature(FEATURES, HISTOGRAMS, null)).toBe('petal_width');
    expect(pickFeature(FEATURES, HISTOGRAMS, 'sepal_length')).toBe('sepal_length');
    expect(pickFeature(FEATURES, HISTOGRAMS, 'gone')).toBe('petal_width');
  });

  it('calls an alert resolved once a later completed run breached nothing', () => {
    const alerts = [monitorAlert({ id: 2, run_id: 3 }), monitorAlert({ id: 1, run_id: 1 })];
    const runs = [
      monitorRun({ id: 4, state: 'Running', breached: null }),
      monitorRun({ id: 3, breached: true }),
      monitorRun({ id: 2, breached: false }),
      monitorRun({ id: 1, breached: true })
    ];
    expect(alertStates(alerts, runs).map(a => a.resolvedBy?.id ?? null)).toEqual([null, 2]);
  });

  it('says what breached with its values, and what a monitor watches', () => {
    expect(signalText(monitorAlert().signals[0])).toBe('data_drift: petal_width (1 of 3; drifted 1; drift_share 0.3333)');
    expect(breachedValues('data_drift', FEATURES)).toEqual([{ feature: 'petal_width', statistic: 0.4, threshold: 0.1, method: 'wasserstein' }]);
    expect(breachedValues('data_quality', FEATURES).map(v => [v.feature, v.statistic])).toEqual([['sepal_length', 0.05]]);
    expect(watches(monitor())).toBe('endpoint iris');
    expect(watches(monitor({ endpoint: null, current: 'data:scoring' }))).toBe('data:scoring');
  });
});

describe('MonitorsModel', () => {
  it('lists monitors a page at a time and refreshes when a run ends', async () => {
    mocked.listMonitors.mockResolvedValue({ items: [monitor()], next_cursor: null });
    const events = new ServiceEvents(null);
    const model = new MonitorsModel({ events, auto: false });
    await model.refresh();
    expect(model.items.map(m => m.name)).toEqual(['iris-drift']);
    expect(mocked.listMonitors).toHaveBeenLastCalledWith({ limit: 25, cursor: null });
    events.emit('monitor', { action: 'run', monitor: 'iris-drift', run_id: 2 });
    await settle(10);
    expect(mocked.listMonitors).toHaveBeenCalledTimes(2);
    mocked.deleteMonitor.mockResolvedValue(undefined);
    await model.remove('iris-drift');
    expect(mocked.deleteMonitor).toHaveBeenCalledWith('iris-drift');
    model.dispose();
  });

  it('shows each monitor’s target, last run and open alerts in its columns', () => {
    const columns = monitorColumns();
    expect(columns.map(c => c.id)).toEqual(['name', 'watches', 'baseline', 'schedule', 'last_run', 'state', 'alerts']);
    const m = monitor({ open_alerts: 2, last_run: monitorRun({ breached: true }) });
    const { container } = render(
      <table>
        <tbody>
          <tr>
            {columns.map(c => (
              <td key={c.id}>{c.render(m)}</td>
            ))}
          </tr>
        </tbody>
      </table>
    );
    expect(container.textContent).toContain('endpoint iris');
    expect(container.textContent).toContain('0 * * * *');
    expect(container.querySelector('[data-outcome="breached"]')?.textContent).toBe('Breached');
    expect(container.querySelector('.jp-mlservice-alert-count')?.textContent).toBe('2');
  });
});

function mockMonitor(): void {
  mocked.getMonitor.mockResolvedValue(monitor({ open_alerts: 1 }));
  mocked.listMonitorRuns.mockResolvedValue({
    items: [monitorRun({ id: 3, state: 'Running', breached: null }), monitorRun({ id: 2, breached: true }), monitorRun({ id: 1 })],
    next_cursor: null
  });
  mocked.listMonitorAlerts.mockResolvedValue({ items: [monitorAlert({ id: 1, run_id: 2 })], next_cursor: null });
  mocked.getMonitorFeatureSeries.mockResolvedValue(DRIFT);
  mocked.getEndpointSeries.mockResolvedValue(endpointSeries());
  mocked.getMonitorRun.mockImplementation(async (_name, id) => (id === 2 ? RUN2 : monitorRunDetail({ id, features: [drift('petal_width', 0.05, false)], histograms: HISTOGRAMS })));
}

describe('MonitorDetailModel', () => {
  it('reads the monitor, its runs, alerts, drift and endpoint traffic, and the latest completed run once', async () => {
    mockMonitor();
    const model = new MonitorDetailModel({ monitor: 'iris-drift', auto: false });
    await model.refresh();
    expect(model.monitor?.endpoint).toBe('iris');
    expect(mocked.getEndpointSeries).toHaveBeenCalledWith('iris', { deployment: null });
    expect(mocked.getMonitorFeatureSeries).toHaveBeenCalledWith('iris-drift', { signal: 'data_drift', limit: 30 });
    expect(model.run?.id).toBe(2);
    await model.refresh();
    expect(mocked.getMonitorRun).toHaveBeenCalledTimes(1);
    // a cell of run 1: that run's histogram of that feature
    await model.selectFeature('sepal_length', 1);
    expect(model.run?.id).toBe(1);
    expect(model.feature).toBe('sepal_length');
    await model.refresh();
    expect(model.run?.id).toBe(1);
    model.dispose();
  });

  it('says a deleted monitor does not exist instead of failing', async () => {
    mocked.getMonitor.mockRejectedValue(new api.MLServiceError('no monitor named "x"', 404));
    const model = new MonitorDetailModel({ monitor: 'x', auto: false });
    await model.refresh();
    expect(model.gone).toBe(true);
    expect(model.error).toBeNull();
    model.dispose();
  });
});

describe('MonitorView', () => {
  const actions = (): IMonitorActions => ({ runNow: jest.fn(), setEnabled: jest.fn(), remove: jest.fn() });

  it('shows the drifted feature first with its histogram, data quality, traffic, alerts and runs', async () => {
    mockMonitor();
    const model = new MonitorDetailModel({ monitor: 'iris-drift', auto: false });
    const acts = actions();
    render(<MonitorView model={model} actions={acts} host={detailHost()} />);
    await act(() => model.refresh());
    const heat = document.querySelector('.jp-mlservice-heatmap')!;
    expect([...heat.querySelectorAll('tbody tr')].map(r => r.getAttribute('data-feature'))).toEqual(['petal_width', 'sepal_length', 'species']);
    expect(heat.querySelector('tr[data-feature="petal_width"]')!.getAttribute('data-drifted')).toBe('true');
    const overlay = document.querySelector('.jp-mlservice-histogram-overlay')!;
    expect(overlay.getAttribute('data-feature')).toBe('petal_width');
    expect(overlay.querySelectorAll('rect.jp-mlservice-bar-window')).toHaveLength(3);
    expect(overlay.querySelector('svg')!.getAttribute('aria-labelledby')).toBeTruthy();
    const driftRow = document.querySelector('.jp-mlservice-drift-table tr[data-feature="petal_width"]')!;
    expect(driftRow.getAttribute('data-drifted')).toBe('true');
    expect(document.querySelector('.jp-mlservice-quality-table tr[data-feature="sepal_length"] td[data-check="null_rate"]')!.textContent).toBe('5% (0%)');
    expect(screen.getByRole('figure', { name: 'Requests per second' }).querySelectorAll('polyline')).toHaveLength(1);
    expect(screen.getByRole('figure', { name: 'Latency (ms), p50 and p99' }).querySelectorAll('polyline')).toHaveLength(2);
    const alert = document.querySelector('.jp-mlservice-alerts-table tr[data-alert="1"]')!;
    expect(alert.getAttribute('data-resolved')).toBe('false');
    // with the value its run measured
    expect(alert.querySelector('.jp-mlservice-alert-values [data-feature="petal_width"]')!.textContent).toBe('petal_width: wasserstein 0.4000 (threshold 0.1000)');
    expect(document.querySelectorAll('.jp-mlservice-runs-table tbody tr')).toHaveLength(3);

    // a feature's name (a button, keyboard reachable) shows its histogram
    fireEvent.click(within(document.querySelector('.jp-mlservice-drift-table') as HTMLElement).getByRole('button', { name: 'sepal_length' }));
    await act(() => settle());
    expect(document.querySelector('.jp-mlservice-histogram-overlay')!.getAttribute('data-feature')).toBe('sepal_length');
    // another run from the picker
    fireEvent.change(screen.getByLabelText('Run whose results are shown'), { target: { value: '1' } });
    await act(() => settle());
    expect(mocked.getMonitorRun).toHaveBeenLastCalledWith('iris-drift', 1);
    expect(document.querySelector('.jp-mlservice-histogram-overlay')!.getAttribute('data-run')).toBe('1');

    fireEvent.click(screen.getByRole('button', { name: 'Run now' }));
    fireEvent.click(screen.getByRole('button', { name: 'Disable' }));
    expect(acts.runNow).toHaveBeenCalledWith(model);
    expect(acts.setEnabled).toHaveBeenCalledWith(model, false);
    model.dispose();
  });

  it('says when there is nothing to draw yet', async () => {
    mocked.getMonitor.mockResolvedValue(monitor({ endpoint: null, current: 'data:scoring', last_run: null }));
    mocked.listMonitorRuns.mockResolvedValue({ items: [], next_cursor: null });
    mocked.listMonitorAlerts.mockResolvedValue({ items: [], next_cursor: null });
    mocked.getMonitorFeatureSeries.mockResolvedValue({ monitor: 'iris-drift', signal: 'data_drift', features: {} });
    const model = new MonitorDetailModel({ monitor: 'iris-drift', auto: false });
    render(<MonitorView model={model} actions={actions()} host={detailHost()} />);
    await act(() => model.refresh());
    expect(mocked.getEndpointSeries).not.toHaveBeenCalled();
    expect(screen.getByText(/Drawn once a run has completed/)).toBeTruthy();
    expect(screen.getByText('No alerts.')).toBeTruthy();
    expect(document.querySelector('.jp-mlservice-monitor-traffic')).toBeNull();
    model.dispose();
  });
});

describe('EndpointMonitoringView', () => {
  it('shows the endpoint’s traffic and links to the monitors that watch it', async () => {
    mocked.getEndpointSeries.mockResolvedValue(endpointSeries());
    mocked.listMonitors.mockResolvedValue({ items: [monitor({ open_alerts: 1 })], next_cursor: null });
    const model = new EndpointMonitoringModel({ endpoint: 'iris', auto: false });
    const host = detailHost();
    render(<EndpointMonitoringView model={model} host={host} />);
    await act(() => model.refresh());
    expect(mocked.listMonitors).toHaveBeenCalledWith({ endpoint: 'iris', limit: 100 });
    expect(screen.getByRole('figure', { name: 'Error rate' })).toBeTruthy();
    const link = screen.getByRole('link', { name: 'iris-drift' });
    expect(link.getAttribute('href')).toBe('http://localhost/lab/mlservice/monitoring/iris-drift');
    fireEvent.click(link);
    expect(host.open).toHaveBeenCalledWith('monitoring/iris-drift');
    expect(screen.getByText('1 alert')).toBeTruthy();
    model.dispose();
  });
});

describe('alert notifications', () => {
  it('shows one per alert that asks to notify, with "Open" to its monitor', () => {
    const events = new ServiceEvents(null);
    const open = jest.fn();
    const subscription = notifyAlerts(events, open);
    events.emit('monitor', { action: 'run', monitor: 'iris-drift', run_id: 2, state: 'Completed', breached: true });
    events.emit('monitor', { action: 'alert', monitor: 'quiet', run_id: 2, alert_id: 1, message: 'x', notify: false });
    events.emit('monitor', { action: 'alert', monitor: 'iris drift', run_id: 2, alert_id: 2, message: 'iris drift: data_drift breached (petal_width)', notify: true });
    const warning = Notification.warning as jest.Mock;
    expect(warning).toHaveBeenCalledTimes(1);
    expect(warning.mock.calls[0][0]).toBe('iris drift: data_drift breached (petal_width)');
    warning.mock.calls[0][1].actions[0].callback();
    expect(open).toHaveBeenCalledWith('monitoring/iris%20drift');
    subscription.dispose();
    events.emit('monitor', { action: 'alert', monitor: 'iris drift', run_id: 3, alert_id: 3, message: 'again', notify: true });
    expect(warning).toHaveBeenCalledTimes(1);
  });
});
