/**
 * The schedule dialog, for creating and for editing: one form (timing, limits,
 * then the job's fields), one set of checks (forms.ts); a refusal of the server
 * re-opens it with the message on top and the user's values kept.
 */
import * as React from 'react';

import * as api from '../../api/client';
import type { Schedule } from '../../api/client';
import { Field, IFormProps, SelectField, TextField, binder } from '../../components/forms';
import { cronPresets, describeCron, describeRecurrence } from '../../cron';
import { formDialog } from '../../dialogs';
import { trans } from '../../translate';
import { SubmitForm } from '../jobs/commands';
import { IScheduleForm, ScheduleFormErrors, WEEKDAYS, scheduleEditForm, validateScheduleEdit } from './forms';

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
      <Field label={trans.__('Cron (minute hour day month weekday)')} name="cron" error={props.error}>
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
      <div className="jp-mlservice-cron-presets" role="group" aria-label={trans.__('Presets')}>
        {cronPresets().map(preset => (
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
    <Field label={trans.__('Time zone')} name="timeZone" error={props.error} hint={trans.__('IANA name, e.g. Europe/Paris')}>
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
      <SelectField
        label={trans.__('Repeat')}
        name="timing"
        error={errors.timing}
        value={value.timing}
        options={[
          { value: 'cron', label: trans.__('on a cron expression') },
          { value: 'recurrence', label: trans.__('every N minutes, hours, days or weeks') }
        ]}
        onChange={timing => set({ timing: timing as IScheduleForm['timing'] })}
      />
      {value.timing === 'cron' ? (
        <CronField value={value.cron} error={errors.cron} onChange={cron => set({ cron })} />
      ) : (
        <div className="jp-mlservice-recurrence">
          <div className="jp-mlservice-field-row">
            <TextField label={trans.__('Every')} {...bind('every')} />
            <SelectField
              label={trans.__('Unit')}
              name="unit"
              error={errors.unit}
              value={value.unit}
              options={['minutes', 'hours', 'days', 'weeks'].map(unit => ({ value: unit, label: unit }))}
              onChange={unit => set({ unit: unit as IScheduleForm['unit'] })}
            />
            {daily && <TextField label={trans.__('At (HH:MM, local)')} {...bind('at')} placeholder="00:00" />}
          </div>
          {value.unit === 'weeks' && (
            <div className="jp-mlservice-weekdays" role="group" aria-label={trans.__('Weekdays')}>
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
          label={trans.__('Schedule name')}
          {...bind('name')}
          readOnly={props.editing}
          autoFocus={!props.editing}
          hint={props.editing ? trans.__('A schedule keeps its name.') : undefined}
        />
        <TextField label={trans.__('Description')} {...bind('description')} placeholder={trans.__('(optional)')} />
        <TimingFields value={value} errors={errors} onChange={props.onChange} />
        <TimeZoneField value={value.timeZone} error={errors.timeZone} onChange={timeZone => set({ timeZone })} />
        <div className="jp-mlservice-field-row">
          {(['startAt', 'endAt'] as const).map(key => (
            <Field
              key={key}
              label={key === 'startAt' ? trans.__('Not before (UTC)') : trans.__('Not after (UTC)')}
              name={key}
              error={errors[key]}
              hint={trans.__('optional')}
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
          <SelectField
            label={trans.__('Catch-up')}
            name="catchUp"
            error={errors.catchUp}
            hint={trans.__('Runs missed while the server was down')}
            value={value.catchUp}
            options={[
              { value: 'latest', label: trans.__('latest (one run)') },
              { value: 'all', label: trans.__('all (each missed slot)') },
              { value: 'skip', label: trans.__('skip') }
            ]}
            onChange={catchUp => set({ catchUp: catchUp as IScheduleForm['catchUp'] })}
          />
          {value.catchUp === 'all' && <TextField label={trans.__('At most')} {...bind('catchUpLimit')} hint={trans.__('missed runs')} />}
        </div>
        <div className="jp-mlservice-field-row">
          <TextField label={trans.__('Max concurrent runs')} {...bind('maxConcurrentRuns')} />
          <SelectField
            label={trans.__('When busy')}
            name="concurrencyPolicy"
            error={errors.concurrencyPolicy}
            value={value.concurrencyPolicy}
            options={[
              { value: 'skip', label: trans.__('skip the slot') },
              { value: 'queue', label: trans.__('queue the slot') }
            ]}
            onChange={policy => set({ concurrencyPolicy: policy as IScheduleForm['concurrencyPolicy'] })}
          />
        </div>
        <label className="jp-mlservice-checkbox">
          <input
            type="checkbox"
            name="enabled"
            checked={value.enabled}
            onChange={e => set({ enabled: e.currentTarget.checked })}
          />{' '}
          {trans.__('Enabled')}
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
            label={trans.__('Job (%1)', value.jobKind || 'JSON')}
            {...bind('jobJson')}
            hint={trans.__('The job spec as POST /jobs takes it')}
            className="jp-mlservice-code"
            rows={10}
          />
        </form>
      )}
    </div>
  );
}

export interface IScheduleDialogOptions<R> {
  title: string;
  okLabel: string;
  initial: IScheduleForm;
  /** The compute targets the target field offers. */
  targets: ReadonlyArray<string>;
  editing?: boolean;
  validate: (form: IScheduleForm) => { body?: R; errors: ScheduleFormErrors };
  /** Sends the checked body; a 4xx it throws re-opens the dialog. */
  send: (body: R) => Promise<Schedule>;
}

/** Show the schedule form until the server takes what it sends, or the user cancels (null). */
export async function scheduleDialog<R>(options: IScheduleDialogOptions<R>): Promise<Schedule | null> {
  let value = options.initial;
  let refused: ScheduleFormErrors | undefined;
  for (;;) {
    const checked = await formDialog<IScheduleForm, ScheduleFormErrors, { form: IScheduleForm; body: R }>({
      title: options.title,
      okLabel: options.okLabel,
      initial: value,
      initialErrors: refused,
      validate: form => {
        const result = options.validate(form);
        return { result: result.body && { form, body: result.body }, errors: result.errors };
      },
      render: (form, errors, onChange) => (
        <ScheduleForm
          value={form}
          errors={errors}
          onChange={onChange}
          targets={options.targets}
          editing={options.editing}
        />
      )
    });
    if (!checked) {
      return null;
    }
    try {
      return await options.send(checked.body);
    } catch (error) {
      if (error instanceof api.MLServiceError && error.status >= 400 && error.status < 500) {
        // The server refused it (a field only it checks, a notebook gone...): say why, keep the edits.
        value = checked.form;
        refused = { server: error.message };
        continue;
      }
      throw error;
    }
  }
}

/**
 * Edit every setting of `schedule` and send only what changed (nothing when
 * nothing did: the schedule comes back as it was). Null when cancelled.
 */
export function editScheduleDialog(
  schedule: Schedule,
  targets: ReadonlyArray<string>,
  update: (name: string, body: api.ScheduleUpdate) => Promise<Schedule>
): Promise<Schedule | null> {
  const target = String((schedule.job as Record<string, unknown>).target ?? '');
  return scheduleDialog<api.ScheduleUpdate>({
    title: trans.__('Edit schedule "%1"', schedule.name),
    okLabel: trans.__('Save'),
    initial: scheduleEditForm(schedule),
    // Its target is offered even when the list lacks it (then the check says it is unknown).
    targets: target && !targets.includes(target) ? [target, ...targets] : targets,
    editing: true,
    validate: form => validateScheduleEdit(form, schedule, targets),
    send: body => (Object.keys(body).length > 0 ? update(schedule.name, body) : Promise.resolve(schedule))
  });
}
