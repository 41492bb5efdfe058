import * as React from 'react';

import type { Schedule, ScheduleRun } from '../../api/client';
import { DetailFrame, DetailSection, Facts, IDetailHost, StudioLink } from '../../components/DetailFrame';
import type { IColumn } from '../../components/EntityList';
import { formatTime, statusClass } from '../../components/format';
import { useModel } from '../../components/useModel';
import { describeTiming } from '../../cron';
import { trans } from '../../translate';
import { ScheduleDetailModel } from './model';

/** What a run shows: its job's status once submitted, else its own state (skipped, missed...). */
export function runLabel(run: ScheduleRun): string {
  return run.job_status ?? run.state.charAt(0).toUpperCase() + run.state.slice(1);
}

function RunBadge(props: { run: ScheduleRun }): JSX.Element {
  const { run } = props;
  const label = runLabel(run);
  return (
    <span
      className={`${statusClass(label)} jp-mlservice-run-badge`}
      data-status={label}
      title={`${formatTime(run.scheduled_time)} (${run.trigger})${run.reason ? `: ${run.reason}` : ''}`}
    >
      {label}
    </span>
  );
}

/** The notebook a schedule runs, if its job is a notebook job. */
function notebookOf(schedule: Schedule): string {
  return typeof schedule.job.notebook === 'string' ? schedule.job.notebook : '';
}

/** The Schedules list's columns: timing in words, state, next run, the latest runs. */
export function scheduleColumns(): IColumn<Schedule>[] {
  return [
    { id: 'name', label: trans.__('Name'), render: s => s.name, sortValue: s => s.name, text: s => `${s.name} ${s.description}` },
    {
      id: 'timing',
      label: trans.__('Runs'),
      render: s => (
        <span className="jp-mlservice-schedule-words" title={s.cron ?? ''}>
          {describeTiming(s)}
        </span>
      ),
      text: s => describeTiming(s)
    },
    {
      id: 'enabled',
      label: trans.__('State'),
      render: s => (
        <span className={`jp-mlservice-chip jp-mlservice-schedule-state${s.enabled ? ' jp-mlservice-schedule-enabled' : ''}`}>
          {s.enabled ? trans.__('Enabled') : trans.__('Disabled')}
        </span>
      ),
      sortValue: s => (s.enabled ? 0 : 1)
    },
    {
      id: 'next',
      label: trans.__('Next run'),
      render: s => (
        <span className="jp-mlservice-schedule-next">{s.next_run_at ? formatTime(s.next_run_at) : trans.__('no next run')}</span>
      ),
      sortValue: s => s.next_run_at
    },
    {
      id: 'last',
      label: trans.__('Latest runs'),
      render: s => (
        <span className="jp-mlservice-schedule-last">
          {(s.last_runs ?? []).slice(0, 5).map(run => (
            <RunBadge key={run.id} run={run} />
          ))}
          {s.active_runs > 0 && <span>{trans.__('%1 running', s.active_runs)}</span>}
        </span>
      )
    },
    { id: 'job', label: trans.__('Job'), render: s => notebookOf(s) || String(s.job.kind ?? ''), text: s => notebookOf(s) }
  ];
}

/** "Nov 28, 02:00": a slot's time, short enough for a list (the full time is its title). */
export function formatShortTime(value: string): string {
  const date = new Date(value);
  if (isNaN(date.getTime())) {
    return value;
  }
  return date.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** One schedule's history: its runs, newest slot first; a run's job opens its view. */
export function ScheduleHistory(props: {
  runs: ReadonlyArray<ScheduleRun>;
  host: Pick<IDetailHost, 'open' | 'linkTo'>;
}): JSX.Element {
  if (props.runs.length === 0) {
    return <div className="jp-mlservice-empty">{trans.__('No runs yet.')}</div>;
  }
  return (
    <ul className="jp-mlservice-schedule-history">
      {props.runs.map(run => (
        <li key={run.id} className="jp-mlservice-schedule-run" data-run-id={run.id} data-job-id={run.job_id ?? ''}>
          <div className="jp-mlservice-schedule-run-line">
            <span className="jp-mlservice-schedule-run-time" title={trans.__('Scheduled for %1', formatTime(run.scheduled_time))}>
              {formatShortTime(run.scheduled_time)}
            </span>
            <RunBadge run={run} />
            {run.trigger !== 'schedule' && <span className="jp-mlservice-chip">{run.trigger.replace('_', '-')}</span>}
          </div>
          {run.job_id ? (
            <StudioLink
              host={props.host}
              path={`jobs/${encodeURIComponent(run.job_id)}`}
              className="jp-mlservice-schedule-run-job"
              title={trans.__('Open job %1', run.job_id)}
            >
              {run.job_id}
            </StudioLink>
          ) : (
            <span className="jp-mlservice-schedule-run-reason">{run.reason ?? ''}</span>
          )}
        </li>
      ))}
    </ul>
  );
}

/** What a schedule's view asks the application to do (the area binds these to commands). */
export interface IScheduleActions {
  runNow: (name: string) => void;
  setEnabled: (name: string, enabled: boolean) => void;
  edit: (name: string) => void;
  remove: (name: string) => void;
}

/** A schedule: its timing in words, its settings, its history; Run now, Enable/Disable, Edit, Delete. */
export function ScheduleView(props: { model: ScheduleDetailModel; actions: IScheduleActions; host: IDetailHost }): JSX.Element {
  const model = useModel(props.model);
  const { actions, host } = props;
  const schedule = model.schedule;
  const name = model.name;
  return (
    <DetailFrame
      host={host}
      kind={trans.__('Schedule')}
      title={name}
      status={schedule ? (schedule.enabled ? trans.__('Enabled') : trans.__('Disabled')) : null}
      className="jp-mlservice-schedule-view"
      data={{ schedule: name, enabled: String(schedule?.enabled ?? '') }}
      model={model}
      meta={
        schedule && (
          <>
            <span className="jp-mlservice-schedule-words" title={schedule.cron ?? ''}>
              {describeTiming(schedule)}
            </span>
            <span className="jp-mlservice-schedule-next">
              {schedule.next_run_at ? trans.__('next %1', formatTime(schedule.next_run_at)) : trans.__('no next run')}
            </span>
            {schedule.description && <span>{schedule.description}</span>}
          </>
        )
      }
      actions={
        schedule
          ? [
              { label: trans.__('Run now'), onClick: () => actions.runNow(name), className: 'jp-mlservice-schedule-run-now' },
              {
                label: schedule.enabled ? trans.__('Disable') : trans.__('Enable'),
                onClick: () => actions.setEnabled(name, !schedule.enabled),
                className: 'jp-mlservice-schedule-toggle'
              },
              { label: trans.__('Edit'), onClick: () => actions.edit(name), className: 'jp-mlservice-schedule-edit' },
              { label: trans.__('Delete'), onClick: () => actions.remove(name), className: 'jp-mlservice-schedule-delete' }
            ]
          : []
      }
    >
      {schedule && (
        <>
          <DetailSection title={trans.__('Settings')} className="jp-mlservice-schedule-settings">
            <Facts
              rows={[
                [trans.__('Cron'), schedule.cron ? <code>{schedule.cron}</code> : trans.__('recurrence')],
                [trans.__('Time zone'), schedule.time_zone],
                [trans.__('Not before'), formatTime(schedule.start_at)],
                [trans.__('Not after'), formatTime(schedule.end_at)],
                [trans.__('Catch-up'), trans.__('catch-up: %1', schedule.catch_up)],
                [
                  trans.__('When busy'),
                  trans.__('%1 at once, then %2', schedule.max_concurrent_runs, schedule.concurrency_policy)
                ],
                [trans.__('Job'), notebookOf(schedule) || String(schedule.job.kind ?? '')],
                [trans.__('Target'), String(schedule.job.target ?? 'local')],
                [trans.__('Runs now'), schedule.active_runs > 0 ? String(schedule.active_runs) : '']
              ]}
            />
          </DetailSection>
          <DetailSection title={trans.__('History')} className="jp-mlservice-schedule-detail">
            <ScheduleHistory runs={model.runs} host={host} />
          </DetailSection>
        </>
      )}
    </DetailFrame>
  );
}
