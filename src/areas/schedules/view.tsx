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
import { CRON_PRESETS, describeCron, describeRecurrence, describeTiming } from '../cron';
import type { IScheduleForm, ScheduleFormErrors } from '../models/schedules';
import { SchedulesModel, WEEKDAYS } from '../models/schedules';
import { Field, IFormProps, SubmitForm, TextField, binder } from './forms';
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
                  title="Edit"
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

/** Cron or recurrence: the schedule's timing, either kind. */
function TimingFields(props: IFormProps<IScheduleForm, ScheduleFormErrors>): JSX.Element {
  const { value, errors } = props;
  const bind = binder(props);
  const set = (patch: Partial<IScheduleForm>) => props.onChange({ ...value, ...patch });
  const daily = value.unit === 'days' || value.unit === 'weeks';
  return (
    <>
      <Field label="Repeat" name="timing" error={errors.timing}>
        <select
          name="timing"
          className="jp-mlservice-input"
          value={value.timing}
          onChange={e => set({ timing: e.currentTarget.value as IScheduleForm['timing'] })}
        >
          <option value="cron">on a cron expression</option>
          <option value="recurrence">every N minutes, hours, days or weeks</option>
        </select>
      </Field>
      {value.timing === 'cron' ? (
        <CronField value={value.cron} error={errors.cron} onChange={cron => set({ cron })} />
      ) : (
        <div className="jp-mlservice-recurrence">
          <div className="jp-mlservice-field-row">
            <TextField label="Every" {...bind('every')} />
            <Field label="Unit" name="unit" error={errors.unit}>
              <select
                name="unit"
                className="jp-mlservice-input"
                value={value.unit}
                onChange={e => set({ unit: e.currentTarget.value as IScheduleForm['unit'] })}
              >
                {['minutes', 'hours', 'days', 'weeks'].map(unit => (
                  <option key={unit} value={unit}>
                    {unit}
                  </option>
                ))}
              </select>
            </Field>
            {daily && <TextField label="At (HH:MM, local)" {...bind('at')} placeholder="00:00" />}
          </div>
          {value.unit === 'weeks' && (
            <div className="jp-mlservice-weekdays" role="group" aria-label="Weekdays">
              {WEEKDAYS.map(day => (
                <label key={day} className="jp-mlservice-checkbox">
                  <input
                    type="checkbox"
                    name={`weekday-${day}`}
                    checked={value.weekdays.includes(day)}
                    onChange={e =>
                      set({
                        weekdays: e.currentTarget.checked
                          ? [...value.weekdays, day]
                          : value.weekdays.filter(d => d !== day)
                      })
                    }
                  />{' '}
                  {day.charAt(0).toUpperCase() + day.slice(1)}
                </label>
              ))}
            </div>
          )}
          {!errors.every && !errors.at && Number(value.every) >= 1 && (
            <div className="jp-mlservice-cron-words" aria-live="polite">
              {describeRecurrence({
                every: Number(value.every),
                unit: value.unit,
                at: daily ? value.at.split(/[\s,]+/).filter(Boolean) : [],
                weekdays: value.unit === 'weeks' ? value.weekdays : []
              })}
            </div>
          )}
        </div>
      )}
    </>
  );
}

/**
 * A schedule's every setting: name, timing, limits, then the job fields of the
 * submit dialog. Creates a schedule for a notebook, or edits one (`editing`:
 * the name stays; a job of another kind than notebook is edited as JSON).
 */
export function ScheduleForm(
  props: IFormProps<IScheduleForm, ScheduleFormErrors> & { targets: ReadonlyArray<string>; editing?: boolean }
): JSX.Element {
  const { value, errors } = props;
  const bind = binder(props);
  const set = (patch: Partial<IScheduleForm>) => props.onChange({ ...value, ...patch });
  return (
    <div className="jp-mlservice-schedule-form">
      {errors.server && (
        <div className="jp-mlservice-error jp-mlservice-server-error" role="alert" data-field="server">
          {errors.server}
        </div>
      )}
      <form className="jp-mlservice-form" onSubmit={e => e.preventDefault()}>
        <TextField
          label="Schedule name"
          {...bind('name')}
          readOnly={props.editing}
          autoFocus={!props.editing}
          hint={props.editing ? 'A schedule keeps its name.' : undefined}
        />
        <TextField label="Description" {...bind('description')} placeholder="(optional)" />
        <TimingFields value={value} errors={errors} onChange={props.onChange} />
        <TimeZoneField value={value.timeZone} error={errors.timeZone} onChange={timeZone => set({ timeZone })} />
        <div className="jp-mlservice-field-row">
          {(['startAt', 'endAt'] as const).map(key => (
            <Field
              key={key}
              label={key === 'startAt' ? 'Not before (UTC)' : 'Not after (UTC)'}
              name={key}
              error={errors[key]}
              hint="optional"
            >
              <input
                type="datetime-local"
                name={key}
                className="jp-mlservice-input"
                value={value[key]}
                onChange={e => set({ [key]: e.currentTarget.value })}
              />
            </Field>
          ))}
        </div>
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
          {value.catchUp === 'all' && <TextField label="At most" {...bind('catchUpLimit')} hint="missed runs" />}
        </div>
        <div className="jp-mlservice-field-row">
          <TextField label="Max concurrent runs" {...bind('maxConcurrentRuns')} />
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
      {value.jobKind === 'notebook' ? (
        <SubmitForm
          value={value}
          errors={errors}
          targets={props.targets}
          onChange={job => props.onChange({ ...value, ...job })}
        />
      ) : (
        <form className="jp-mlservice-form" onSubmit={e => e.preventDefault()}>
          <TextField
            label={`Job (${value.jobKind || 'JSON'})`}
            {...bind('jobJson')}
            hint="The job spec as POST /jobs takes it"
            className="jp-mlservice-code"
            rows={10}
          />
        </form>
      )}
    </div>
  );
}
