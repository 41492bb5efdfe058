import { Button, HTMLSelect, launchIcon, refreshIcon, stopIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { JOB_STATUSES, TERMINAL_STATUSES } from '../api/client';
import type { Job } from '../api/client';
import { JobsModel } from '../models/jobs';
import { TargetsModel } from '../models/targets';
import { formatDuration, formatTime, statusClass } from './format';
import { ProgressSummary } from './JobProgress';
import { useModel } from './useModel';

export interface IJobsSectionProps {
  model: JobsModel;
  targets: TargetsModel;
  onOpen: (job: Job) => void;
  onCancel: (job: Job) => void;
  onRerun: (job: Job) => void;
}

/** Jobs, filterable by status, target and experiment, one page at a time. */
export function JobsSection(props: IJobsSectionProps): JSX.Element {
  const model = useModel(props.model);
  const targets = useModel(props.targets);
  const [experiment, setExperiment] = React.useState(model.filter.experiment ?? '');
  const filter = model.filter;
  return (
    <div className="jp-mlservice-section-body jp-mlservice-jobs">
      <div className="jp-mlservice-filters">
        <HTMLSelect
          aria-label="Filter by status"
          className="jp-mlservice-filter-status"
          value={filter.status ?? ''}
          onChange={e => void model.setFilter({ status: e.currentTarget.value || null })}
          options={[{ label: 'All statuses', value: '' }, ...JOB_STATUSES.map(s => ({ label: s, value: s }))]}
        />
        <HTMLSelect
          aria-label="Filter by target"
          className="jp-mlservice-filter-target"
          value={filter.target ?? ''}
          onChange={e => void model.setFilter({ target: e.currentTarget.value || null })}
          options={[
            { label: 'All targets', value: '' },
            ...targets.items.map(t => ({ label: t.name, value: t.name }))
          ]}
        />
        <input
          className="jp-mlservice-input jp-mlservice-filter-experiment"
          aria-label="Filter by experiment"
          placeholder="Experiment"
          value={experiment}
          onChange={e => setExperiment(e.currentTarget.value)}
          onKeyDown={e => {
            if (e.key === 'Enter') {
              void model.setFilter({ experiment: experiment.trim() || null });
            }
          }}
          onBlur={() => {
            if ((filter.experiment ?? '') !== experiment.trim()) {
              void model.setFilter({ experiment: experiment.trim() || null });
            }
          }}
        />
      </div>
      {model.error && <div className="jp-mlservice-error">{model.error}</div>}
      {!model.loading && model.items.length === 0 && !model.error && (
        <div className="jp-mlservice-empty">No jobs.</div>
      )}
      <ul className="jp-mlservice-list">
        {model.items.map(job => (
          <li key={job.id} className="jp-mlservice-item jp-mlservice-job" data-job-id={job.id}>
            <div className="jp-mlservice-item-main">
              <a
                href="#"
                className="jp-mlservice-item-name jp-mlservice-job-open"
                title={`Open job ${job.id}`}
                onClick={e => {
                  e.preventDefault();
                  props.onOpen(job);
                }}
              >
                {job.display_name || job.id}
              </a>
              <span className={statusClass(job.status)} data-status={job.status}>
                {job.status}
              </span>
            </div>
            <div className="jp-mlservice-item-meta">
              <span>{job.kind}</span>
              <span>{job.target}</span>
              <span title="Experiment">{job.experiment}</span>
              <span title={formatTime(job.created_at)}>{formatDuration(job.duration_s)}</span>
            </div>
            {job.kind === 'batch' && <ProgressSummary progress={model.progress(job.id)} />}
            <div className="jp-mlservice-item-actions">
              <button
                className="jp-mlservice-icon-button"
                title="Open"
                aria-label={`Open ${job.id}`}
                onClick={() => props.onOpen(job)}
              >
                <launchIcon.react tag="span" />
              </button>
              {!TERMINAL_STATUSES.has(job.status) && job.status !== 'CancelRequested' && (
                <button
                  className="jp-mlservice-icon-button"
                  title="Cancel"
                  aria-label={`Cancel ${job.id}`}
                  onClick={() => props.onCancel(job)}
                >
                  <stopIcon.react tag="span" />
                </button>
              )}
              {TERMINAL_STATUSES.has(job.status) && (
                <button
                  className="jp-mlservice-icon-button"
                  title="Re-run"
                  aria-label={`Re-run ${job.id}`}
                  onClick={() => props.onRerun(job)}
                >
                  <refreshIcon.react tag="span" />
                </button>
              )}
            </div>
          </li>
        ))}
      </ul>
      <div className="jp-mlservice-pager">
        <Button minimal small disabled={!model.hasPrevious} onClick={() => void model.previousPage()}>
          ‹ Newer
        </Button>
        <span>page {model.page + 1}</span>
        <Button minimal small disabled={!model.hasNext} onClick={() => void model.nextPage()}>
          Older ›
        </Button>
      </div>
    </div>
  );
}
