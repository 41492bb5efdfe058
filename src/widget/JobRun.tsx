import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import { isJobEnded } from '../api/statuses';
import { formatDuration, formatNumber, statusClass } from '../components/format';
import { LogViewer } from '../components/LogViewer';
import { MetricChart } from '../components/MetricChart';
import { useModel } from '../components/useModel';
import { JobDetailModel } from '../areas/jobs/model';
import { trans } from '../translate';
import { studioLinks } from './links';

/** Log lines the widget keeps on screen: a tail, the full log is in the job panel. */
export const LOG_TAIL_LINES = 200;

/** What the kernel knew of the job when it displayed the widget (first paint). */
export interface IJobSummary {
  id?: string;
  display_name?: string;
  status?: string;
  target?: string;
  experiment?: string;
  duration_s?: number | null;
  error?: string | null;
  parameters?: Record<string, unknown>;
}

export interface IJobRunProps {
  model: JobDetailModel;
  summary?: IJobSummary;
  onCancel: () => void;
}

/** "Open in ML Studio": the job's deep link, opened in place when the studio is there. */
function StudioJobLink(props: { id: string }): JSX.Element {
  const path = `jobs/${encodeURIComponent(props.id)}`;
  return (
    <a
      className="jp-mlservice-run-link"
      href={studioLinks.link(path)}
      target="_blank"
      rel="noopener"
      onClick={e => {
        if (studioLinks.open && e.button === 0 && !e.ctrlKey && !e.metaKey) {
          e.preventDefault();
          studioLinks.open(path);
        }
      }}
    >
      {trans.__('Open in ML Studio')}
    </a>
  );
}

export function logTail(text: string, lines = LOG_TAIL_LINES): string {
  const all = text.split('\n');
  return all.length <= lines + 1 ? text : all.slice(all.length - lines - 1).join('\n');
}

function formatParam(value: unknown): string {
  if (typeof value === 'number') {
    return formatNumber(value);
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * A job in a notebook output: status, target, duration, params, one chart per
 * metric, the log tail and a Cancel button. The model polls until the job ends.
 */
export function JobRun(props: IJobRunProps): JSX.Element {
  const model = useModel(props.model);
  const summary = props.summary ?? {};
  const job = model.job;
  const status = job?.status ?? summary.status ?? 'Queued';
  const ended = isJobEnded(status);
  const metrics = model.metrics?.metrics ?? {};
  const metricNames = Object.keys(metrics).sort();
  // Logged params win over the submitted ones (they are what the run actually used).
  const params: Record<string, unknown> = { ...(summary.parameters ?? {}), ...(model.metrics?.params ?? {}) };
  const paramNames = Object.keys(params).sort();
  const error = job?.error ?? summary.error;
  const [cancelling, setCancelling] = React.useState(false);
  const lastValue = (name: string) => {
    const points = metrics[name];
    return points.length ? points.reduce((a, b) => (b.step > a.step || (b.step === a.step && b.timestamp >= a.timestamp) ? b : a)).value : null;
  };

  return (
    <div className="jp-mlservice-run" data-job-id={model.id} data-status={status}>
      <header className="jp-mlservice-run-header" style={{ display: 'flex', gap: '8px', alignItems: 'center', flexWrap: 'wrap' }}>
        <strong className="jp-mlservice-run-name">{job?.display_name || summary.display_name || model.id}</strong>
        <span className={statusClass(status)} data-status={status}>
          {status}
        </span>
        <span className="jp-mlservice-run-meta">
          {[
            trans.__('target %1', job?.target ?? summary.target ?? ''),
            trans.__('experiment %1', job?.experiment ?? summary.experiment ?? ''),
            formatDuration(job?.duration_s ?? summary.duration_s)
          ]
            .filter(Boolean)
            .join(' · ')}
        </span>
        {!ended && status !== 'CancelRequested' && (
          <Button
            small
            className="jp-mlservice-run-cancel"
            disabled={cancelling}
            onClick={() => {
              setCancelling(true);
              props.onCancel();
            }}
          >
            {trans.__('Cancel')}
          </Button>
        )}
        {!ended && <span className="jp-mlservice-run-live">{trans.__('live')}</span>}
        <StudioJobLink id={model.id} />
      </header>
      {model.error && <div className="jp-mlservice-error">{model.error}</div>}
      {error && <div className="jp-mlservice-error jp-mlservice-job-error">{error}</div>}
      {paramNames.length > 0 && (
        <table className="jp-mlservice-kv jp-mlservice-run-params">
          <tbody>
            {paramNames.map(name => (
              <tr key={name}>
                <th>{name}</th>
                <td>{formatParam(params[name])}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {metricNames.length > 0 && (
        <div className="jp-mlservice-charts">
          {metricNames.map(name => (
            <MetricChart
              key={name}
              title={`${name} = ${formatNumber(lastValue(name))}`}
              series={[{ label: name, points: metrics[name] }]}
              height={140}
            />
          ))}
        </div>
      )}
      <LogViewer text={logTail(model.log)} complete={model.logComplete} />
    </div>
  );
}
