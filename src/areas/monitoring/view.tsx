import * as React from 'react';

import type { Alert, FeatureResult, Monitor, MonitorRun, MonitorRunDetail, SignalSummary } from '../../api/client';
import { DetailFrame, DetailSection, Facts, IDetailAction, IDetailHost, StudioLink } from '../../components/DetailFrame';
import type { IColumn } from '../../components/EntityList';
import { formatNumber, formatTime, statusClass } from '../../components/format';
import { useModel } from '../../components/useModel';
import { trans } from '../../translate';
import { QUALITY_CHECKS, QualityCheck, alertStates, breachedValues, endpointCharts, heatmap, pickFeature, qualityRows } from './charts';
import { EndpointMonitoringModel, MonitorDetailModel } from './model';
import { DriftHeatmap, HistogramOverlay, TimeChart } from './plots';

/** Studio paths of the area. */
export function monitorPath(name: string): string {
  return `monitoring/${encodeURIComponent(name)}`;
}

export function endpointMonitoringPath(endpoint: string): string {
  return `monitoring/endpoints/${encodeURIComponent(endpoint)}`;
}

/** What a monitor watches, in words: `endpoint iris (blue)`, `batch nightly`, `data:scoring`. */
export function watches(monitor: Pick<Monitor, 'endpoint' | 'deployment' | 'batch' | 'current'>): string {
  if (monitor.endpoint) {
    return monitor.deployment ? trans.__('endpoint %1 (%2)', monitor.endpoint, monitor.deployment) : trans.__('endpoint %1', monitor.endpoint);
  }
  if (monitor.batch) {
    return trans.__('batch %1', monitor.batch);
  }
  return monitor.current ?? '';
}

/** When its runs start: the cron or recurrence, or "on demand". */
export function scheduleText(monitor: Pick<Monitor, 'schedule'>): string {
  const s = monitor.schedule;
  if (!s) {
    return trans.__('on demand');
  }
  if (s.cron) {
    return `${s.cron}${s.time_zone && s.time_zone !== 'UTC' ? ` (${s.time_zone})` : ''}`;
  }
  return s.recurrence ? trans.__('every %1 %2', s.recurrence.every ?? 1, s.recurrence.unit) : '';
}

/** A run's outcome in a word: running, failed, drift found (breached), no drift. */
export function runOutcome(run: Pick<MonitorRun, 'state' | 'breached'>): { label: string; status: string } {
  if (run.state !== 'Completed') {
    return { label: run.state, status: run.state };
  }
  return run.breached ? { label: trans.__('Breached'), status: 'Failed' } : { label: trans.__('OK'), status: 'Completed' };
}

function Outcome(props: { run: Pick<MonitorRun, 'state' | 'breached'> }): JSX.Element {
  const { label, status } = runOutcome(props.run);
  return (
    <span className={statusClass(status)} data-outcome={props.run.state === 'Completed' ? (props.run.breached ? 'breached' : 'ok') : props.run.state}>
      {label}
    </span>
  );
}

/** The Monitoring list's columns. */
export function monitorColumns(): IColumn<Monitor>[] {
  return [
    { id: 'name', label: trans.__('Name'), render: m => m.name, sortValue: m => m.name, text: m => `${m.name} ${m.description}` },
    { id: 'watches', label: trans.__('Watches'), render: m => watches(m), sortValue: m => watches(m), text: m => watches(m) },
    { id: 'baseline', label: trans.__('Baseline'), render: m => <span className="jp-mlservice-mono">{m.baseline}</span>, sortValue: m => m.baseline, text: m => m.baseline },
    { id: 'schedule', label: trans.__('Schedule'), render: m => scheduleText(m), text: m => scheduleText(m) },
    {
      id: 'last_run',
      label: trans.__('Last run'),
      render: m =>
        m.last_run ? (
          <>
            <Outcome run={m.last_run} /> <span>{formatTime(m.last_run.created_at)}</span>
          </>
        ) : (
          trans.__('never')
        ),
      sortValue: m => m.last_run?.created_at ?? null,
      text: m => (m.last_run ? runOutcome(m.last_run).label : '')
    },
    {
      id: 'state',
      label: trans.__('State'),
      render: m => (
        <span className={statusClass(m.enabled ? 'Ready' : 'Canceled')} data-enabled={String(m.enabled)}>
          {m.enabled ? trans.__('Enabled') : trans.__('Disabled')}
        </span>
      ),
      sortValue: m => (m.enabled ? 0 : 1),
      text: m => (m.enabled ? trans.__('Enabled') : trans.__('Disabled'))
    },
    {
      id: 'alerts',
      label: trans.__('Open alerts'),
      render: m => (m.open_alerts ? <span className="jp-mlservice-alert-count">{m.open_alerts}</span> : '0'),
      sortValue: m => m.open_alerts ?? 0,
      className: 'jp-mlservice-num'
    }
  ];
}

/** What a monitor's view asks the application to do (the area binds them to its commands). */
export interface IMonitorActions {
  runNow: (model: MonitorDetailModel) => void;
  setEnabled: (model: MonitorDetailModel, enabled: boolean) => void;
  remove: (name: string) => void;
}

/** A monitor: what it watches, its endpoint's traffic, drift over time, one run's results, alerts and runs. */
export function MonitorView(props: { model: MonitorDetailModel; actions: IMonitorActions; host: IDetailHost }): JSX.Element {
  const model = useModel(props.model);
  const { actions, host } = props;
  const monitor = model.monitor;
  const buttons: IDetailAction[] = monitor
    ? [
        { label: trans.__('Run now'), title: trans.__('Judge the window that ends now (a job)'), onClick: () => actions.runNow(model), className: 'jp-mlservice-monitor-run' },
        {
          label: monitor.enabled ? trans.__('Disable') : trans.__('Enable'),
          title: trans.__('Scheduled runs stop while disabled; "Run now" still works.'),
          onClick: () => actions.setEnabled(model, !monitor.enabled),
          className: 'jp-mlservice-monitor-enable'
        },
        { label: trans.__('Delete'), onClick: () => actions.remove(model.name), className: 'jp-mlservice-monitor-delete' }
      ]
    : [];
  return (
    <DetailFrame
      host={host}
      kind={trans.__('Monitor')}
      title={model.name}
      status={monitor ? (monitor.enabled ? trans.__('Enabled') : trans.__('Disabled')) : null}
      actions={buttons}
      model={model}
      className="jp-mlservice-monitor-view"
      data={{ monitor: model.name }}
      meta={
        monitor && (
          <>
            {monitor.endpoint ? (
              <StudioLink host={host} path={`endpoints/${encodeURIComponent(monitor.endpoint)}`}>
                {watches(monitor)}
              </StudioLink>
            ) : (
              <span>{watches(monitor)}</span>
            )}
            {monitor.description && <span>{monitor.description}</span>}
          </>
        )
      }
    >
      {monitor && <MonitorSections model={model} monitor={monitor} host={host} />}
    </DetailFrame>
  );
}

function signalsText(monitor: Monitor): string {
  return (monitor.signals ?? []).map(s => s.type).join(', ');
}

function MonitorSections(props: { model: MonitorDetailModel; monitor: Monitor; host: IDetailHost }): JSX.Element {
  const { model, monitor, host } = props;
  const run = model.run;
  const map = React.useMemo(() => heatmap(model.drift ?? { features: {} }), [model.drift]);
  const feature = run ? pickFeature(run.features ?? [], run.histograms ?? {}, model.feature) : null;
  const completed = model.runs.filter(r => r.state === 'Completed');
  return (
    <>
      <DetailSection title={trans.__('Summary')} className="jp-mlservice-summary">
        <Facts
          rows={[
            [trans.__('Watches'), watches(monitor)],
            [trans.__('Baseline'), <span className="jp-mlservice-mono">{monitor.baseline}</span>],
            [trans.__('Signals'), signalsText(monitor)],
            [trans.__('Features'), (monitor.features ?? []).join(', ') || trans.__('all of the baseline’s')],
            [trans.__('Window'), monitor.current ? '' : monitor.window],
            [trans.__('Schedule'), scheduleText(monitor)],
            [trans.__('Next run'), formatTime(monitor.next_run_at)],
            [trans.__('False-alarm rate'), formatNumber(monitor.alpha)],
            [trans.__('Alerts'), monitor.alert?.webhook ? trans.__('webhook %1', monitor.alert.webhook) : trans.__('notifications only')]
          ]}
        />
      </DetailSection>
      {model.series && (
        <DetailSection title={trans.__('Traffic of %1', monitor.endpoint ?? '')} className="jp-mlservice-monitor-traffic">
          <TrafficCharts series={model.series} />
        </DetailSection>
      )}
      <DetailSection title={trans.__('Drift over time')} className="jp-mlservice-monitor-drift">
        {map.runs.length === 0 ? (
          <div className="jp-mlservice-empty">{trans.__('Drawn once a run has completed: choose "Run now", or wait for the schedule.')}</div>
        ) : (
          <DriftHeatmap map={map} selected={{ feature, run: run?.id ?? null }} onSelect={(f, r) => void model.selectFeature(f, r)} />
        )}
      </DetailSection>
      {completed.length > 0 && (
        <DetailSection
          title={run ? trans.__('Run %1: %2 rows against %3 baseline rows', run.id, run.rows ?? 0, run.baseline_rows ?? 0) : trans.__('Run')}
          className="jp-mlservice-monitor-run-results"
          actions={<RunPicker runs={completed} value={run?.id ?? null} onChange={id => void model.selectRun(id)} />}
        >
          {run && <RunResults run={run} feature={feature} onFeature={f => void model.selectFeature(f)} host={host} />}
        </DetailSection>
      )}
      <DetailSection title={trans.__('Alerts')} className="jp-mlservice-monitor-alerts">
        <Alerts alerts={model.alerts} runs={model.runs} detail={id => model.runDetail(id)} onRun={id => void model.selectRun(id)} />
      </DetailSection>
      <DetailSection title={trans.__('Runs')} className="jp-mlservice-monitor-runs">
        <Runs runs={model.runs} host={host} onOpen={id => void model.selectRun(id)} />
      </DetailSection>
    </>
  );
}

/** An endpoint's request rate, error rate and p50/p99 latency per deployment. */
function TrafficCharts(props: { series: NonNullable<MonitorDetailModel['series']> }): JSX.Element {
  const charts = React.useMemo(() => endpointCharts(props.series), [props.series]);
  const percent = (v: number) => `${formatNumber(Math.round(v * 1000) / 10)}%`;
  return (
    <div className="jp-mlservice-charts">
      <TimeChart title={trans.__('Requests per second')} lines={charts.requestRate} className="jp-mlservice-chart-requests" />
      <TimeChart title={trans.__('Error rate')} lines={charts.errorRate} format={percent} className="jp-mlservice-chart-errors" />
      <TimeChart title={trans.__('Latency (ms), p50 and p99')} lines={charts.latency} className="jp-mlservice-chart-latency" />
    </div>
  );
}

function RunPicker(props: { runs: ReadonlyArray<MonitorRun>; value: number | null; onChange: (id: number) => void }): JSX.Element {
  return (
    <select
      className="jp-mlservice-run-picker"
      aria-label={trans.__('Run whose results are shown')}
      value={props.value ?? ''}
      onChange={e => props.onChange(Number(e.currentTarget.value))}
    >
      {props.runs.map(r => (
        <option key={r.id} value={r.id}>
          {trans.__('run %1, window ending %2', r.id, formatTime(r.window_end))}
        </option>
      ))}
    </select>
  );
}

/** A run's drift results per feature (a name shows its histogram), the histogram, and its data quality. */
function RunResults(props: { run: MonitorRunDetail; feature: string | null; onFeature: (feature: string) => void; host: IDetailHost }): JSX.Element {
  const { run, feature, onFeature, host } = props;
  const drift = (run.features ?? []).filter(f => f.signal === 'data_drift' || f.signal === 'prediction_drift');
  const histogram = feature ? run.histograms?.[feature] : undefined;
  return (
    <>
      <div className="jp-mlservice-item-meta">
        <span>{trans.__('window %1 to %2', formatTime(run.window_start), formatTime(run.window_end))}</span>
        <StudioLink host={host} path={`jobs/${encodeURIComponent(run.job_id)}`} title={trans.__('The run’s job: its log and MLflow run')}>
          {trans.__('job %1', run.job_id)}
        </StudioLink>
        {Object.entries(run.data ?? {}).map(([role, ref]) => (
          <span key={role} className="jp-mlservice-mono">{`${role}: data:${ref}`}</span>
        ))}
      </div>
      {run.error && <div className="jp-mlservice-error">{run.error}</div>}
      <div className="jp-mlservice-monitor-results">
        <DriftTable features={drift} selected={feature} onFeature={onFeature} />
        {feature && histogram && <HistogramOverlay feature={feature} histogram={histogram} run={run.id} />}
      </div>
      <h4>{trans.__('Data quality')}</h4>
      <QualityTable features={run.features ?? []} />
    </>
  );
}

function DriftTable(props: { features: ReadonlyArray<FeatureResult>; selected: string | null; onFeature: (feature: string) => void }): JSX.Element {
  if (props.features.length === 0) {
    return <div className="jp-mlservice-empty">{trans.__('This run judged no drift.')}</div>;
  }
  return (
    <table className="jp-mlservice-table jp-mlservice-drift-table" aria-label={trans.__('Drift per feature')}>
      <thead>
        <tr>
          <th scope="col">{trans.__('Feature')}</th>
          <th scope="col">{trans.__('Signal')}</th>
          <th scope="col">{trans.__('Method')}</th>
          <th scope="col" className="jp-mlservice-num">{trans.__('Statistic')}</th>
          <th scope="col" className="jp-mlservice-num">{trans.__('Threshold')}</th>
          <th scope="col" className="jp-mlservice-num">{trans.__('p-value')}</th>
          <th scope="col">{trans.__('Verdict')}</th>
        </tr>
      </thead>
      <tbody>
        {props.features.map(f => (
          <tr
            key={`${f.signal}:${f.feature}`}
            data-feature={f.feature}
            data-signal={f.signal}
            data-drifted={String(f.breached)}
            className={props.selected === f.feature ? 'jp-mod-selected' : ''}
          >
            <th scope="row">
              <button className="jp-mlservice-link-button" aria-pressed={props.selected === f.feature} onClick={() => props.onFeature(f.feature)}>
                {f.feature}
              </button>
            </th>
            <td>{f.signal === 'data_drift' ? trans.__('inputs') : trans.__('predictions')}</td>
            <td>{f.method ?? ''}</td>
            <td className="jp-mlservice-num">{formatNumber(f.statistic)}</td>
            <td className="jp-mlservice-num">{formatNumber(f.threshold)}</td>
            <td className="jp-mlservice-num">{formatNumber(f.p_value)}</td>
            <td>
              <span className={statusClass(f.breached ? 'Failed' : 'Completed')}>{f.breached ? trans.__('Drifted') : trans.__('OK')}</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function qualityLabel(check: QualityCheck): string {
  switch (check) {
    case 'null_rate':
      return trans.__('Nulls');
    case 'type_mismatch_rate':
      return trans.__('Wrong type');
    case 'out_of_range_rate':
      return trans.__('Out of range');
    default:
      return trans.__('Unseen categories');
  }
}

function pct(value: number | null): string {
  return value === null ? '' : `${formatNumber(Math.round(value * 10000) / 100)}%`;
}

/** The run's data-quality rates per feature: window (baseline or expected), breached ones marked. */
function QualityTable(props: { features: ReadonlyArray<FeatureResult> }): JSX.Element {
  const rows = qualityRows(props.features);
  if (rows.length === 0) {
    return <div className="jp-mlservice-empty">{trans.__('This monitor does not check data quality.')}</div>;
  }
  return (
    <table className="jp-mlservice-table jp-mlservice-quality-table" aria-label={trans.__('Data quality per feature')}>
      <thead>
        <tr>
          <th scope="col">{trans.__('Feature')}</th>
          {QUALITY_CHECKS.map(c => (
            <th scope="col" key={c} className="jp-mlservice-num" title={trans.__('window (baseline or expected); threshold')}>
              {qualityLabel(c)}
            </th>
          ))}
          <th scope="col">{trans.__('Verdict')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(row => (
          <tr key={row.feature} data-feature={row.feature} data-breached={String(row.breached)}>
            <th scope="row">{row.feature}</th>
            {QUALITY_CHECKS.map(c => {
              const r = row.rates[c];
              return (
                <td
                  key={c}
                  className={`jp-mlservice-num${r?.breached ? ' jp-mod-breached' : ''}`}
                  data-check={c}
                  title={r ? trans.__('threshold: a rise of %1', pct(r.threshold)) : undefined}
                >
                  {r ? `${pct(r.rate)} (${pct(r.baseline)})` : '–'}
                </td>
              );
            })}
            <td>
              <span className={statusClass(row.breached ? 'Failed' : 'Completed')}>{row.breached ? trans.__('Issues') : trans.__('OK')}</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** What a breached signal found, with its values: `data_drift: x1, x2 (2 of 4, 50%)`. */
export function signalText(s: SignalSummary): string {
  const summary = (s.summary ?? {}) as Record<string, unknown>;
  const values = Object.entries(summary)
    .filter(([k, v]) => typeof v === 'number' && !k.startsWith('alpha'))
    .map(([k, v]) => `${k} ${formatNumber(v as number)}`);
  const which = (s.breaches ?? []).join(', ');
  return `${s.type}: ${which}${which ? ' ' : ''}(${[trans.__('%1 of %2', (s.breaches ?? []).length, s.tested), ...values].join('; ')})`;
}

function Alerts(props: {
  alerts: ReadonlyArray<Alert>;
  runs: ReadonlyArray<MonitorRun>;
  /** A run's results, if read: the values of what breached. */
  detail: (run: number) => MonitorRunDetail | null;
  /** Show a run's results. */
  onRun: (run: number) => void;
}): JSX.Element {
  if (props.alerts.length === 0) {
    return <div className="jp-mlservice-empty">{trans.__('No alerts.')}</div>;
  }
  return (
    <table className="jp-mlservice-table jp-mlservice-alerts-table" aria-label={trans.__('Alerts')}>
      <thead>
        <tr>
          <th scope="col">{trans.__('Fired')}</th>
          <th scope="col">{trans.__('State')}</th>
          <th scope="col">{trans.__('Run')}</th>
          <th scope="col">{trans.__('What breached')}</th>
          <th scope="col">{trans.__('Webhook')}</th>
        </tr>
      </thead>
      <tbody>
        {alertStates(props.alerts, props.runs).map(({ alert, resolvedBy }) => (
          <tr key={alert.id} data-alert={alert.id} data-resolved={String(!!resolvedBy)}>
            <td>{formatTime(alert.created_at)}</td>
            <td>
              {resolvedBy ? (
                <span className={statusClass('Completed')} title={trans.__('Run %1 found nothing', resolvedBy.id)}>
                  {trans.__('Resolved by run %1', resolvedBy.id)}
                </span>
              ) : (
                <span className={statusClass('Failed')}>{trans.__('Firing')}</span>
              )}
            </td>
            <td>
              <button className="jp-mlservice-link-button" title={trans.__('Show this run’s results')} onClick={() => props.onRun(alert.run_id)}>
                {`#${alert.run_id}`}
              </button>
            </td>
            <td>
              <ul className="jp-mlservice-alert-signals">
                {alert.signals
                  .filter(s => s.breached)
                  .map(s => (
                    <li key={s.type} data-signal={s.type}>
                      {signalText(s)}
                      <AlertValues values={breachedValues(s.type, props.detail(alert.run_id)?.features ?? [])} />
                    </li>
                  ))}
              </ul>
            </td>
            <td title={alert.last_error ?? undefined}>
              {alert.delivery === 'none' ? '' : trans.__('%1 (%2 attempts)', alert.delivery, alert.attempts)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** What each breached feature measured against its threshold (data quality: its worst rate). */
function AlertValues(props: { values: ReturnType<typeof breachedValues> }): JSX.Element | null {
  if (props.values.length === 0) {
    return null;
  }
  return (
    <ul className="jp-mlservice-alert-values">
      {props.values.map(v => (
        <li key={v.feature} data-feature={v.feature}>
          {trans.__('%1: %2 %3 (threshold %4)', v.feature, v.method ?? '', formatNumber(v.statistic), formatNumber(v.threshold))}
        </li>
      ))}
    </ul>
  );
}

function Runs(props: { runs: ReadonlyArray<MonitorRun>; host: IDetailHost; onOpen: (id: number) => void }): JSX.Element {
  if (props.runs.length === 0) {
    return <div className="jp-mlservice-empty">{trans.__('No runs yet.')}</div>;
  }
  return (
    <table className="jp-mlservice-table jp-mlservice-runs-table" aria-label={trans.__('Runs')}>
      <thead>
        <tr>
          <th scope="col">{trans.__('Run')}</th>
          <th scope="col">{trans.__('Outcome')}</th>
          <th scope="col">{trans.__('Trigger')}</th>
          <th scope="col">{trans.__('Window end')}</th>
          <th scope="col" className="jp-mlservice-num">{trans.__('Rows')}</th>
          <th scope="col">{trans.__('Breached signals')}</th>
          <th scope="col">{trans.__('Job')}</th>
        </tr>
      </thead>
      <tbody>
        {props.runs.map(r => (
          <tr key={r.id} data-run={r.id}>
            <th scope="row">
              {r.state === 'Completed' ? (
                <button className="jp-mlservice-link-button" title={trans.__('Show this run’s results')} onClick={() => props.onOpen(r.id)}>
                  {`#${r.id}`}
                </button>
              ) : (
                `#${r.id}`
              )}
            </th>
            <td>
              <Outcome run={r} />
              {r.error && <div className="jp-mlservice-trial-reason">{r.error}</div>}
            </td>
            <td>{r.trigger}</td>
            <td>{formatTime(r.window_end)}</td>
            <td className="jp-mlservice-num">{r.rows ?? ''}</td>
            <td>{(r.signals ?? []).filter(s => s.breached).map(s => s.type).join(', ')}</td>
            <td>
              <StudioLink host={props.host} path={`jobs/${encodeURIComponent(r.job_id)}`}>
                {r.job_id}
              </StudioLink>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** An endpoint's monitoring: its traffic per deployment, and the monitors that watch it. */
export function EndpointMonitoringView(props: { model: EndpointMonitoringModel; host: IDetailHost }): JSX.Element {
  const model = useModel(props.model);
  const { host } = props;
  return (
    <DetailFrame
      host={host}
      kind={trans.__('Endpoint monitoring')}
      title={model.endpoint}
      model={model}
      className="jp-mlservice-endpoint-monitoring-view"
      data={{ endpoint: model.endpoint }}
      meta={
        <StudioLink host={host} path={`endpoints/${encodeURIComponent(model.endpoint)}`}>
          {trans.__('endpoint %1', model.endpoint)}
        </StudioLink>
      }
    >
      {model.series && (
        <DetailSection title={trans.__('Traffic')} className="jp-mlservice-monitor-traffic">
          <TrafficCharts series={model.series} />
        </DetailSection>
      )}
      <DetailSection title={trans.__('Monitors')} className="jp-mlservice-endpoint-monitors">
        {model.monitors.length === 0 ? (
          <div className="jp-mlservice-empty">
            {trans.__('No monitor watches this endpoint: ml.monitors.create(name, endpoint="%1", baseline=...).', model.endpoint)}
          </div>
        ) : (
          <ul className="jp-mlservice-list">
            {model.monitors.map(m => (
              <li key={m.name} data-monitor={m.name}>
                <div className="jp-mlservice-item-main">
                  <StudioLink host={host} path={monitorPath(m.name)}>
                    {m.name}
                  </StudioLink>
                  {m.last_run && <Outcome run={m.last_run} />}
                  {!!m.open_alerts && <span className="jp-mlservice-alert-count">{trans._n('%1 alert', '%1 alerts', m.open_alerts)}</span>}
                </div>
                <div className="jp-mlservice-item-meta">
                  <span>{signalsText(m)}</span>
                  <span>{scheduleText(m)}</span>
                  {m.last_run && <span>{formatTime(m.last_run.created_at)}</span>}
                </div>
              </li>
            ))}
          </ul>
        )}
      </DetailSection>
    </DetailFrame>
  );
}
