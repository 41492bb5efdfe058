import { downloadIcon, folderIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { Job } from '../../api/client';
import { JOB_STATUSES, isJobEnded } from '../../api/statuses';
import { DetailFrame, DetailSection, Facts, IDetailAction, IDetailHost, StudioLink } from '../../components/DetailFrame';
import type { IColumn, IFilter } from '../../components/EntityList';
import { formatBytes, formatDuration, formatTime, statusClass } from '../../components/format';
import { ProgressDetail, ProgressSummary, progressFraction } from '../../components/JobProgress';
import { LogViewer } from '../../components/LogViewer';
import { MetricChart } from '../../components/MetricChart';
import { useModel } from '../../components/useModel';
import { trans } from '../../translate';
import { JobDataSection } from '../data/view';
import { pipelinePathOf } from '../pipelines/model';
import { sweepPathOf } from '../sweeps/model';
import { JobDetailModel, JobsModel } from './model';

/** A job's name as lists show it: its display name, else its id. */
export function jobName(job: Pick<Job, 'id' | 'display_name'>): string {
  return job.display_name || job.id;
}

/** The Jobs list's columns; batch jobs show their progress while they run. */
export function jobColumns(model: JobsModel): IColumn<Job>[] {
  return [
    {
      id: 'name',
      label: trans.__('Name'),
      render: job => jobName(job),
      sortValue: job => jobName(job),
      text: job => `${job.display_name} ${job.id}`
    },
    {
      id: 'status',
      label: trans.__('Status'),
      render: job => (
        <>
          <span className={statusClass(job.status)} data-status={job.status}>
            {job.status}
          </span>
          {job.kind === 'batch' && <ProgressSummary progress={model.progress(job.id)} />}
        </>
      ),
      sortValue: job => JOB_STATUSES.indexOf(job.status as any),
      text: job => job.status
    },
    { id: 'kind', label: trans.__('Kind'), render: job => job.kind, sortValue: job => job.kind, text: job => job.kind },
    { id: 'target', label: trans.__('Target'), render: job => job.target, sortValue: job => job.target, text: job => job.target },
    {
      id: 'experiment',
      label: trans.__('Experiment'),
      render: job => job.experiment,
      sortValue: job => job.experiment,
      text: job => job.experiment
    },
    { id: 'created', label: trans.__('Created'), render: job => formatTime(job.created_at), sortValue: job => job.created_at },
    {
      id: 'duration',
      label: trans.__('Duration'),
      render: job => formatDuration(job.duration_s),
      sortValue: job => job.duration_s,
      className: 'jp-mlservice-num'
    }
  ];
}

/** A job's experiment, linked to its view once MLflow has one. */
export function ExperimentLink(props: { host: IDetailHost; job: Pick<Job, 'experiment' | 'experiment_id'> }): JSX.Element {
  const { host, job } = props;
  return job.experiment_id ? (
    <StudioLink host={host} path={`experiments/${encodeURIComponent(job.experiment_id)}`} title={trans.__('Experiment')}>
      {job.experiment}
    </StudioLink>
  ) : (
    <span title={trans.__('Experiment')}>{job.experiment}</span>
  );
}

/** The Jobs list's filters: status and target choices, experiment by name. */
export function jobFilters(targets: () => ReadonlyArray<string>): IFilter[] {
  return [
    {
      id: 'status',
      label: trans.__('Status'),
      kind: 'select',
      options: () => JOB_STATUSES.map(s => ({ label: s, value: s }))
    },
    { id: 'target', label: trans.__('Target'), kind: 'select', options: () => targets().map(t => ({ label: t, value: t })) },
    { id: 'experiment', label: trans.__('Experiment'), kind: 'text', placeholder: trans.__('Experiment') }
  ];
}

/** What a job's view asks the application to do (the area binds these to commands). */
export interface IJobActions {
  cancel: (id: string) => void;
  rerun: (id: string) => void;
  openNotebook: (id: string, path: string) => void;
  compare: (job: Job) => void;
  registerModel: (id: string) => void;
}

/** A job: summary, progress, params, metric charts, log, artifacts. */
export function JobView(props: { model: JobDetailModel; actions: IJobActions; host: IDetailHost }): JSX.Element {
  const model = useModel(props.model);
  const { actions, host } = props;
  const job = model.job;
  const ended = job ? isJobEnded(job.status) : false;
  const notebook = model.executedNotebook;
  const sweep = job ? sweepPathOf(job) : null;
  const pipeline = job ? pipelinePathOf(job) : null;
  const buttons: IDetailAction[] = [];
  if (job && !ended && job.status !== 'CancelRequested') {
    buttons.push({ label: trans.__('Cancel'), onClick: () => actions.cancel(job.id), className: 'jp-mlservice-job-cancel' });
  }
  if (job && ended) {
    buttons.push({ label: trans.__('Re-run'), onClick: () => actions.rerun(job.id), className: 'jp-mlservice-job-rerun' });
  }
  if (job && notebook) {
    buttons.push({
      label: trans.__('Open executed notebook'),
      onClick: () => actions.openNotebook(job.id, notebook),
      className: 'jp-mlservice-job-notebook'
    });
  }
  if (job?.run_id) {
    buttons.push({
      label: trans.__('Compare'),
      title: trans.__('Add its run to the runs to compare'),
      onClick: () => actions.compare(job),
      className: 'jp-mlservice-job-compare'
    });
  }
  if (job?.status === 'Completed') {
    buttons.push({
      label: trans.__('Register model'),
      onClick: () => actions.registerModel(job.id),
      className: 'jp-mlservice-job-register'
    });
  }
  return (
    <DetailFrame
      host={host}
      kind={trans.__('Job')}
      title={job ? jobName(job) : model.id}
      status={job?.status}
      actions={buttons}
      model={model}
      className="jp-mlservice-job-view"
      data={{ 'job-id': model.id }}
      meta={
        job && (
          <>
            <span>{job.kind}</span>
            <span title={trans.__('Target')}>{job.target}</span>
            <ExperimentLink host={host} job={job} />
            {sweep && (
              <StudioLink host={host} path={sweep.path} className="jp-mlservice-job-sweep">
                {sweep.of === 'self'
                  ? trans.__('Open in Sweeps')
                  : sweep.of === 'trial'
                    ? trans.__('Trial %1 of its sweep', sweep.trial)
                    : trans.__('Its AutoML run')}
              </StudioLink>
            )}
            {pipeline && (
              <StudioLink host={host} path={pipeline.path} className="jp-mlservice-job-pipeline">
                {pipeline.step === null ? trans.__('Open in Pipelines') : trans.__('Step %1 of its pipeline', pipeline.step)}
              </StudioLink>
            )}
          </>
        )
      }
    >
      {job && <JobSections model={model} host={host} />}
    </DetailFrame>
  );
}

function JobSections(props: { model: JobDetailModel; host: IDetailHost }): JSX.Element {
  const { model } = props;
  const job = model.job!;
  const metrics = model.metrics?.metrics ?? {};
  const params = model.metrics?.params ?? {};
  const metricNames = Object.keys(metrics).sort();
  const ended = isJobEnded(job.status);
  return (
    <>
      {job.error && <div className="jp-mlservice-error jp-mlservice-job-error">{job.error}</div>}
      <DetailSection title={trans.__('Summary')} className="jp-mlservice-summary">
        <Facts
          rows={[
            [trans.__('Job id'), job.id],
            [trans.__('Kind'), job.kind],
            [trans.__('Target'), job.target],
            [trans.__('Experiment'), job.experiment],
            [trans.__('MLflow run'), job.run_id],
            [trans.__('Attempt'), trans.__('%1 of %2', job.attempt, job.max_retries + 1)],
            [trans.__('Timeout'), job.timeout_s ? formatDuration(job.timeout_s) : ''],
            [trans.__('Exit code'), job.exit_code === null || job.exit_code === undefined ? '' : String(job.exit_code)],
            [trans.__('Git commit'), job.git_commit],
            [trans.__('Created'), formatTime(job.created_at)],
            [trans.__('Started'), formatTime(job.started_at)],
            [trans.__('Ended'), formatTime(job.ended_at)],
            [trans.__('Duration'), formatDuration(job.duration_s)],
            [
              trans.__('Tags'),
              Object.entries(job.tags ?? {})
                .map(([k, v]) => `${k}=${v}`)
                .join(', ')
            ]
          ]}
        />
      </DetailSection>

      {model.progress && progressFraction(model.progress) && <ProgressDetail progress={model.progress} />}

      <JobDataSection job={job} lineage={model.lineage} host={props.host} />

      {Object.keys(params).length > 0 && (
        <DetailSection title={trans.__('Params')} className="jp-mlservice-params">
          <Facts rows={Object.keys(params).sort().map(name => [name, params[name]] as [string, string])} />
        </DetailSection>
      )}

      <DetailSection title={trans.__('Metrics')} className="jp-mlservice-metrics">
        {metricNames.length === 0 && <div className="jp-mlservice-empty">{trans.__('No metrics logged yet.')}</div>}
        <div className="jp-mlservice-charts">
          {metricNames.map(name => (
            <MetricChart key={name} title={name} series={[{ label: name, points: metrics[name] }]} />
          ))}
        </div>
      </DetailSection>

      <DetailSection title={trans.__('Log')} className="jp-mlservice-logs">
        <LogViewer text={model.log} complete={model.logComplete} />
      </DetailSection>

      <DetailSection title={trans.__('Artifacts')} className="jp-mlservice-artifacts">
        {model.artifacts.length === 0 && (
          <div className="jp-mlservice-empty">{ended ? trans.__('No artifacts.') : trans.__('Listed once the job ends.')}</div>
        )}
        <ul className="jp-mlservice-list">
          {model.artifacts.map(artifact => (
            <li key={artifact.path} className="jp-mlservice-artifact">
              {artifact.is_dir ? (
                <span>
                  <folderIcon.react tag="span" /> {artifact.path}/
                </span>
              ) : (
                <a href={model.artifactUrl(artifact.path)} download title={trans.__('Download %1', artifact.path)}>
                  <downloadIcon.react tag="span" /> {artifact.path}
                </a>
              )}
              <span className="jp-mlservice-item-meta">{formatBytes(artifact.size)}</span>
            </li>
          ))}
        </ul>
      </DetailSection>
    </>
  );
}
