import {
  Button,
  caretDownIcon,
  caretRightIcon,
  deleteIcon,
  editIcon,
  runIcon
} from '@jupyterlab/ui-components';
import * as React from 'react';

import type { Schedule, ScheduleRun } from '../api/client';
import { CRON_PRESETS, describeCron, describeTiming } from '../cron';
import type {
  IScheduleEditForm,
  IScheduleForm,
  ScheduleEditErrors,
  ScheduleFormErrors
} from '../models/schedules';
import { SchedulesModel } from '../models/schedules';
import { Field, IFormProps, SubmitForm } from './forms';
import { formatTime, statusClass } from './format';
import { useModel } from './useModel';

export interface ISchedulesSectionProps {
  model: SchedulesModel;
  onOpenJob: (id: string) => void;
  onRunNow: (schedule: Schedule) => void;
  onSetEnabled: (schedule: Schedule, enabled: boolean) => void;
  onEdit: (schedule: Schedule) => void;
  onDelete: (schedule: Schedule) => void;
}

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

/** "Nov 28, 02:00": a slot's time, short enough for the sidebar (the full time is its title). */
export function formatShortTime(value: string): string {
  const date = new Date(value);
  if (isNaN(date.getTime())) {
    return value;
  }
  return date.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** One schedule's history: its runs, newest slot first; a run's job opens its detail view. */
export function ScheduleHistory(props: {
  runs: ReadonlyArray<ScheduleRun>;
  onOpenJob: (id: string) => void;
}): JSX.Element {
  if (props.runs.length === 0) {
    return <div className="jp-mlservice-empty">No runs yet.</div>;
  }
  return (
    <ul className="jp-mlservice-schedule-history">
      {props.runs.map(run => (
        <li key={run.id} className="jp-mlservice-schedule-run" data-run-id={run.id} data-job-id={run.job_id ?? ''}>
          <div className="jp-mlservice-schedule-run-line">
            <span className="jp-mlservice-schedule-run-time" title={`Scheduled for ${formatTime(run.scheduled_time)}`}>
              {formatShortTime(run.scheduled_time)}
            </span>
            <RunBadge run={run} />
            {run.trigger !== 'schedule' && <span className="jp-mlservice-chip">{run.trigger.replace('_', '-')}</span>}
          </div>
          {run.job_id ? (
            <a
              href="#"
              className="jp-mlservice-schedule-run-job"
              title={`Open job ${run.job_id}`}
              onClick={e => {
                e.preventDefault();
                props.onOpenJob(run.job_id!);
              }}
            >
              {run.job_id}
            </a>
          ) : (
            <span className="jp-mlservice-schedule-run-reason">{run.reason ?? ''}</span>
          )}
        </li>
      ))}
    </ul>
  );
}

/** Schedules: timing in words, enabled state, next run, latest runs; one expands to its history. */
export function SchedulesSection(props: ISchedulesSectionProps): JSX.Element {
  const model = useModel(props.model);
  return (
    <div className="jp-mlservice-section-body jp-mlservice-schedules">
      {model.error && <div className="jp-mlservice-error">{model.error}</div>}
      {!model.loading && model.items.length === 0 && !model.error && (
        <div className="jp-mlservice-empty">
          No schedules. Use "Schedule" in a notebook's toolbar to run it on a cron.
        </div>
      )}
      <ul className="jp-mlservice-list">
        {model.items.map(schedule => {
          const open = model.selected === schedule.name;
          const Caret = open ? caretDownIcon : caretRightIcon;
          const notebook = typeof schedule.job.notebook === 'string' ? schedule.job.notebook : null;
          return (
            <li
              key={schedule.name}
              className="jp-mlservice-item jp-mlservice-schedule"
              data-schedule={schedule.name}
              data-enabled={String(schedule.enabled)}
            >
              <div className="jp-mlservice-item-main">
                <button
                  className="jp-mlservice-icon-button jp-mlservice-caret"
                  aria-label={`${open ? 'Hide' : 'Show'} history of ${schedule.name}`}
                  aria-expanded={open}
                  onClick={() => void model.select(open ? null : schedule.name)}
                >
                  <Caret.react tag="span" />
                </button>
                <a
                  href="#"
                  className="jp-mlservice-item-name jp-mlservice-schedule-open"
                  title={schedule.description || `Show the history of ${schedule.name}`}
                  onClick={e => {
                    e.preventDefault();
                    void model.select(open ? null : schedule.name);
                  }}
                >
                  {schedule.name}
                </a>
                <span
                  className={`jp-mlservice-chip jp-mlservice-schedule-state${schedule.enabled ? ' jp-mlservice-schedule-enabled' : ''}`}
                >
                  {schedule.enabled ? 'Enabled' : 'Disabled'}
                </span>
              </div>
              <div className="jp-mlservice-item-meta">
                <span className="jp-mlservice-schedule-words" title={schedule.cron ?? ''}>
                  {describeTiming(schedule)}
                </span>
              </div>
              <div className="jp-mlservice-item-meta">
                {notebook && <span title="Notebook">{notebook}</span>}
                <span className="jp-mlservice-schedule-next">
                  {schedule.next_run_at ? `next ${formatTime(schedule.next_run_at)}` : 'no next run'}
                </span>
                {schedule.active_runs > 0 && <span>{schedule.active_runs} running</span>}
              </div>
              {(schedule.last_runs ?? []).length > 0 && (
                <div className="jp-mlservice-item-meta jp-mlservice-schedule-last">
                  {(schedule.last_runs ?? []).slice(0, 5).map(run => (
                    <RunBadge key={run.id} run={run} />
                  ))}
                </div>
              )}
              <div className="jp-mlservice-item-actions">
                <button
                  className="jp-mlservice-icon-button"
                  title="Run now"
                  aria-label={`Run ${schedule.name} now`}
                  onClick={() => props.onRunNow(schedule)}
                >
                  <runIcon.react tag="span" />
                </button>
                <button
                  className="jp-mlservice-icon-button"
                  title="Edit timing"
                  aria-label={`Edit ${schedule.name}`}
                  onClick={() => props.onEdit(schedule)}
                >
                  <editIcon.react tag="span" />
                </button>
                <button
                  className="jp-mlservice-icon-button"
                  title="Delete"
                  aria-label={`Delete ${schedule.name}`}
                  onClick={() => props.onDelete(schedule)}
                >
                  <deleteIcon.react tag="span" />
                </button>
              </div>
              {open && (
                <div className="jp-mlservice-schedule-detail">
                  <div className="jp-mlservice-schedule-buttons">
                    <Button small onClick={() => props.onRunNow(schedule)}>
                      Run now
                    </Button>
                    <Button small onClick={() => props.onSetEnabled(schedule, !schedule.enabled)}>
                      {schedule.enabled ? 'Disable' : 'Enable'}
                    </Button>
                  </div>
                  <div className="jp-mlservice-item-meta jp-mlservice-schedule-settings">
                    <span title="Cron expression and time zone">
                      {schedule.cron ? <code>{schedule.cron}</code> : 'recurrence'} · {schedule.time_zone}
                    </span>
                    <span title="Runs missed while the server was down">catch-up: {schedule.catch_up}</span>
                    <span title="When a slot finds the runs still going">
                      {schedule.max_concurrent_runs} at once, then {schedule.concurrency_policy}
                    </span>
                  </div>
                  <ScheduleHistory runs={model.runs} onOpenJob={props.onOpenJob} />
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

/** The time zones the browser knows, for the time zone field's suggestions. */
function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  try {
    return intl.supportedValuesOf ? intl.supportedValuesOf('timeZone') : [];
  } catch {
    return [];
  }
}

/** A cron field with presets and the schedule in words as you type. */
export function CronField(props: {
  value: string;
  error?: string;
  onChange: (value: string) => void;
}): JSX.Element {
  const described = describeCron(props.value);
  return (
    <div className="jp-mlservice-cron">
      <Field label="Cron (minute hour day month weekday)" name="cron" error={props.error}>
        <input
          name="cron"
          className="jp-mlservice-input jp-mlservice-code"
          value={props.value}
          spellCheck={false}
          onChange={e => props.onChange(e.currentTarget.value)}
        />
      </Field>
      <div
        className={`jp-mlservice-cron-words${described.ok ? '' : ' jp-mlservice-cron-invalid'}`}
        aria-live="polite"
      >
        {described.ok ? described.text : described.error}
      </div>
      <div className="jp-mlservice-cron-presets" role="group" aria-label="Presets">
        {CRON_PRESETS.map(preset => (
          <button
            key={preset.cron}
            type="button"
            className={`jp-mlservice-chip jp-mlservice-cron-preset${preset.cron === props.value.trim() ? ' jp-mod-active' : ''}`}
            title={preset.cron}
            onClick={() => props.onChange(preset.cron)}
          >
            {preset.label}
          </button>
        ))}
      </div>
    </div>
  );
}

function TimeZoneField(props: { value: string; error?: string; onChange: (value: string) => void }): JSX.Element {
  const zones = React.useMemo(timeZones, []);
  return (
    <Field label="Time zone" name="timeZone" error={props.error} hint="IANA name, e.g. Europe/Paris">
      <>
        <input
          name="timeZone"
          className="jp-mlservice-input"
          list="jp-mlservice-time-zones"
          value={props.value}
          onChange={e => props.onChange(e.currentTarget.value)}
        />
        <datalist id="jp-mlservice-time-zones">
          {['UTC', ...zones.filter(z => z !== 'UTC')].map(z => (
            <option key={z} value={z} />
          ))}
        </datalist>
      </>
    </Field>
  );
}

/** Create a schedule for a notebook: name, timing, then the job fields of the submit dialog. */
export function ScheduleForm(
  props: IFormProps<IScheduleForm, ScheduleFormErrors> & { targets: ReadonlyArray<string> }
): JSX.Element {
  const { value, errors } = props;
  const set = (patch: Partial<IScheduleForm>) => props.onChange({ ...value, ...patch });
  return (
    <div className="jp-mlservice-schedule-form">
      <form className="jp-mlservice-form" onSubmit={e => e.preventDefault()}>
        <Field label="Schedule name" name="name" error={errors.name}>
          <input
            name="name"
            className="jp-mlservice-input"
            value={value.name}
            autoFocus
            onChange={e => set({ name: e.currentTarget.value })}
          />
        </Field>
        <CronField value={value.cron} error={errors.cron} onChange={cron => set({ cron })} />
        <TimeZoneField value={value.timeZone} error={errors.timeZone} onChange={timeZone => set({ timeZone })} />
        <div className="jp-mlservice-field-row">
          <Field
            label="Catch-up"
            name="catchUp"
            error={errors.catchUp}
            hint="Runs missed while the server was down"
          >
            <select
              name="catchUp"
              className="jp-mlservice-input"
              value={value.catchUp}
              onChange={e => set({ catchUp: e.currentTarget.value as IScheduleForm['catchUp'] })}
            >
              <option value="latest">latest (one run)</option>
              <option value="all">all (each missed slot)</option>
              <option value="skip">skip</option>
            </select>
          </Field>
          <Field label="Max concurrent runs" name="maxConcurrentRuns" error={errors.maxConcurrentRuns}>
            <input
              name="maxConcurrentRuns"
              className="jp-mlservice-input"
              value={value.maxConcurrentRuns}
              onChange={e => set({ maxConcurrentRuns: e.currentTarget.value })}
            />
          </Field>
          <Field label="When busy" name="concurrencyPolicy" error={errors.concurrencyPolicy}>
            <select
              name="concurrencyPolicy"
              className="jp-mlservice-input"
              value={value.concurrencyPolicy}
              onChange={e => set({ concurrencyPolicy: e.currentTarget.value as IScheduleForm['concurrencyPolicy'] })}
            >
              <option value="skip">skip the slot</option>
              <option value="queue">queue the slot</option>
            </select>
          </Field>
        </div>
        <label className="jp-mlservice-checkbox">
          <input
            type="checkbox"
            name="enabled"
            checked={value.enabled}
            onChange={e => set({ enabled: e.currentTarget.checked })}
          />{' '}
          Enabled
        </label>
      </form>
      <SubmitForm
        value={value}
        errors={errors}
        targets={props.targets}
        onChange={job => props.onChange({ ...value, ...job })}
      />
    </div>
  );
}

/** Edit a schedule's timing and enabled state. */
export function ScheduleEditForm(
  props: IFormProps<IScheduleEditForm, ScheduleEditErrors> & { recurrence?: string | null }
): JSX.Element {
  const { value, errors } = props;
  const set = (patch: Partial<IScheduleEditForm>) => props.onChange({ ...value, ...patch });
  return (
    <form className="jp-mlservice-form jp-mlservice-schedule-edit" onSubmit={e => e.preventDefault()}>
      {props.recurrence && (
        <div className="jp-mlservice-field-hint">
          Now: {props.recurrence}. Leave the cron blank to keep it, or enter one to replace it.
        </div>
      )}
      <CronField value={value.cron} error={errors.cron} onChange={cron => set({ cron })} />
      <TimeZoneField value={value.timeZone} error={errors.timeZone} onChange={timeZone => set({ timeZone })} />
      <label className="jp-mlservice-checkbox">
        <input
          type="checkbox"
          name="enabled"
          checked={value.enabled}
          onChange={e => set({ enabled: e.currentTarget.checked })}
        />{' '}
        Enabled
      </label>
    </form>
  );
}
