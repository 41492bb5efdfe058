/**
 * The schedule dialog, for creating and for editing: one form, one set of
 * checks; a refusal of the server re-opens it with the message on top and the
 * user's values kept.
 */
import * as React from 'react';

import * as api from './api/client';
import type { Schedule } from './api/client';
import { ScheduleForm } from './components/SchedulesSection';
import { formDialog } from './dialogs';
import { IScheduleForm, ScheduleFormErrors, scheduleEditForm, validateScheduleEdit } from './models/schedules';

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
    title: `Edit schedule "${schedule.name}"`,
    okLabel: 'Save',
    initial: scheduleEditForm(schedule),
    // Its target is offered even when the list lacks it (then the check says it is unknown).
    targets: target && !targets.includes(target) ? [target, ...targets] : targets,
    editing: true,
    validate: form => validateScheduleEdit(form, schedule, targets),
    send: body => (Object.keys(body).length > 0 ? update(schedule.name, body) : Promise.resolve(schedule))
  });
}
