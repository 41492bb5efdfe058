import { Button, downloadIcon, folderIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { TERMINAL_STATUSES } from '../api/client';
import { JobDetailModel } from '../models/jobDetail';
import { formatBytes, formatDuration, formatTime, statusClass } from './format';
import { ProgressDetail, progressFraction } from './JobProgress';
import { LogViewer } from './LogViewer';
import { MetricChart } from './MetricChart';
import { useModel } from './useModel';

export interface IJobDetailProps {
  model: JobDetailModel;
  onCancel: () => void;
  onRerun: () => void;
  onOpenNotebook: (path: string) => void;
}

function Row(props: { label: string; children: React.ReactNode }): JSX.Element | null {
  if (props.children === null || props.children === undefined || props.children === '') {
    return null;
  }
  return (
    <tr>
      <th>{props.label}</th>
      <td>{props.children}</td>
    </tr>
  );
}

/** A job in the main area: summary, params, metric charts, log, artifacts. */
export function JobDetail(props: IJobDetailProps): JSX.Element {
  const model = useModel(props.model);
  const job = model.job;
  if (!job) {
    return (
      <div className="jp-mlservice-detail">
        {model.error ? <div className="jp-mlservice-error">{model.error}</div> : 'Loading…'}
      </div>
    );
  }
  const metrics = model.metrics?.metrics ?? {};
  const params = model.metrics?.params ?? {};
  const metricNames = Object.keys(metrics).sort();
  const notebook = model.executedNotebook;
  const ended = TERMINAL_STATUSES.has(job.status);
  return (
    <div className="jp-mlservice-detail" data-job-id={job.id}>
      <header className="jp-mlservice-detail-header">
        <h2>{job.display_name || job.id}</h2>
        <span className={statusClass(job.status)} data-status={job.status}>
          {job.status}
        </span>
        <div className="jp-mlservice-detail-actions">
          {!ended && job.status !== 'CancelRequested' && (
            <Button small onClick={props.onCancel}>
              Cancel
            </Button>
          )}
          {ended && (
            <Button small onClick={props.onRerun}>
              Re-run
            </Button>
          )}
          {notebook && (
            <Button small onClick={() => props.onOpenNotebook(notebook)}>
              Open executed notebook
            </Button>
          )}
        </div>
      </header>
      {model.error && <div className="jp-mlservice-error">{model.error}</div>}
      {job.error && <div className="jp-mlservice-error jp-mlservice-job-error">{job.error}</div>}

      <section className="jp-mlservice-detail-section jp-mlservice-summary">
        <h3>Summary</h3>
        <table className="jp-mlservice-kv">
          <tbody>
            <Row label="Job id">{job.id}</Row>
            <Row label="Kind">{job.kind}</Row>
            <Row label="Target">{job.target}</Row>
            <Row label="Experiment">{job.experiment}</Row>
            <Row label="MLflow run">{job.run_id}</Row>
            <Row label="Attempt">{`${job.attempt} of ${job.max_retries + 1}`}</Row>
            <Row label="Timeout">{job.timeout_s ? formatDuration(job.timeout_s) : ''}</Row>
            <Row label="Exit code">{job.exit_code === null ? '' : String(job.exit_code)}</Row>
            <Row label="Git commit">{job.git_commit}</Row>
            <Row label="Created">{formatTime(job.created_at)}</Row>
            <Row label="Started">{formatTime(job.started_at)}</Row>
            <Row label="Ended">{formatTime(job.ended_at)}</Row>
            <Row label="Duration">{formatDuration(job.duration_s)}</Row>
            <Row label="Tags">
              {Object.entries(job.tags ?? {})
                .map(([k, v]) => `${k}=${v}`)
                .join(', ')}
            </Row>
          </tbody>
        </table>
      </section>

      {model.progress && progressFraction(model.progress) && <ProgressDetail progress={model.progress} />}

      {Object.keys(params).length > 0 && (
        <section className="jp-mlservice-detail-section jp-mlservice-params">
          <h3>Params</h3>
          <table className="jp-mlservice-kv">
            <tbody>
              {Object.keys(params)
                .sort()
                .map(name => (
                  <tr key={name}>
                    <th>{name}</th>
                    <td>{params[name]}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </section>
      )}

      <section className="jp-mlservice-detail-section jp-mlservice-metrics">
        <h3>Metrics</h3>
        {metricNames.length === 0 && <div className="jp-mlservice-empty">No metrics logged yet.</div>}
        <div className="jp-mlservice-charts">
          {metricNames.map(name => (
            <MetricChart key={name} title={name} series={[{ label: name, points: metrics[name] }]} />
          ))}
        </div>
      </section>

      <section className="jp-mlservice-detail-section jp-mlservice-logs">
        <h3>Log</h3>
        <LogViewer text={model.log} complete={model.logComplete} />
      </section>

      <section className="jp-mlservice-detail-section jp-mlservice-artifacts">
        <h3>Artifacts</h3>
        {model.artifacts.length === 0 && (
          <div className="jp-mlservice-empty">{ended ? 'No artifacts.' : 'Listed once the job ends.'}</div>
        )}
        <ul className="jp-mlservice-list">
          {model.artifacts.map(artifact => (
            <li key={artifact.path} className="jp-mlservice-artifact">
              {artifact.is_dir ? (
                <span>
                  <folderIcon.react tag="span" /> {artifact.path}/
                </span>
              ) : (
                <a href={model.artifactUrl(artifact.path)} download title={`Download ${artifact.path}`}>
                  <downloadIcon.react tag="span" /> {artifact.path}
                </a>
              )}
              <span className="jp-mlservice-item-meta">{formatBytes(artifact.size)}</span>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
