/**
 * The Schedules area's commands: schedule a notebook (its toolbar's "Schedule"
 * button), run now, enable and disable, edit any setting, delete.
 */
import { Notification } from '@jupyterlab/apputils';
import type { INotebookTracker } from '@jupyterlab/notebook';
import { historyIcon } from '@jupyterlab/ui-components';

import type { ScheduleCreate } from '../../api/client';
import { NotebookButton } from '../../components/NotebookButton';
import { attempt, notifyError, readSavedNotebook } from '../../notify';
import { notebookParameters } from '../../parameters';
import { trans } from '../../translate';
import { targetNames } from '../compute/model';
import { IAreaContext, addCommand, deleteEach, namesToActOn, quoted } from '../context';
import { editScheduleDialog, scheduleDialog } from './dialog';
import { initialScheduleForm, localTimeZone, validateScheduleForm } from './forms';
import { SchedulesModel } from './model';

export namespace ScheduleCommandIDs {
  export const scheduleNotebook = 'mlservice:schedule-notebook';
  export const runNow = 'mlservice:run-schedule-now';
  export const enable = 'mlservice:enable-schedule';
  export const disable = 'mlservice:disable-schedule';
  export const edit = 'mlservice:edit-schedule';
  export const remove = 'mlservice:delete-schedule';
}

export function addScheduleCommands(context: IAreaContext, model: SchedulesModel, notebooks: INotebookTracker | null): void {
  const { app, studio } = context;
  const open = (name: string) => studio.open(`schedules/${encodeURIComponent(name)}`);

  /** Schedule names from the args, or one picked from the list. */
  const pick = (args: Record<string, any>, title: string) => namesToActOn(args, title, () => model.names());

  addCommand(context, ScheduleCommandIDs.scheduleNotebook, {
    label: args => (args.toolbar ? trans.__('Schedule') : trans.__('Schedule Notebook…')),
    caption: trans.__('Run the saved notebook as a job on a cron schedule'),
    icon: args => (args.toolbar ? historyIcon : undefined),
    isEnabled: args => !!(args.path || notebooks?.currentWidget),
    execute: async args => {
      const path = args.path ? String(args.path) : (notebooks?.currentWidget?.context.path ?? null);
      if (!path) {
        return;
      }
      // Runs read the saved file: save an open, modified notebook first.
      const content =
        (await attempt(trans.__('Read notebook'), () => readSavedNotebook(app.serviceManager.contents, notebooks, path))) ?? null;
      const targets = (await attempt(trans.__('Load compute targets'), () => targetNames())) ?? [];
      const existing = (await attempt(trans.__('Load schedules'), () => model.names())) ?? [];
      try {
        const created = await scheduleDialog<ScheduleCreate>({
          title: trans.__('Schedule notebook'),
          okLabel: trans.__('Create schedule'),
          initial: initialScheduleForm(path, notebookParameters(content), targets, localTimeZone(), studio.settings.defaultTarget),
          targets,
          validate: form => validateScheduleForm(form, targets, existing),
          send: body => model.create(body)
        });
        if (!created) {
          return;
        }
        Notification.success(trans.__('Created schedule "%1".', created.name), {
          autoClose: 4000,
          actions: [{ label: trans.__('Show'), callback: () => void open(created.name) }]
        });
        await open(created.name);
        return created;
      } catch (error) {
        notifyError(error, trans.__('Create schedule'));
        return;
      }
    }
  });

  addCommand(context, ScheduleCommandIDs.runNow, {
    label: trans.__('Run Schedule Now…'),
    execute: async args => {
      for (const name of await pick(args, trans.__('Run schedule now'))) {
        const run = await attempt(trans.__('Run "%1"', name), () => model.runNow(name));
        if (run?.job_id) {
          const id = run.job_id;
          Notification.success(trans.__('Submitted job %1 for "%2".', id, name), {
            autoClose: 4000,
            actions: [{ label: trans.__('Open'), callback: () => void studio.open(`jobs/${encodeURIComponent(id)}`) }]
          });
        } else if (run) {
          Notification.warning(trans.__('"%1" did not submit a run: %2', name, run.reason ?? run.state), { autoClose: 6000 });
        }
      }
    }
  });

  for (const [id, enabled] of [
    [ScheduleCommandIDs.enable, true],
    [ScheduleCommandIDs.disable, false]
  ] as const) {
    addCommand(context, id, {
      label: enabled ? trans.__('Enable Schedule…') : trans.__('Disable Schedule…'),
      execute: async args => {
        for (const name of await pick(args, enabled ? trans.__('Enable schedule') : trans.__('Disable schedule'))) {
          await attempt(enabled ? trans.__('Enable "%1"', name) : trans.__('Disable "%1"', name), () => model.setEnabled(name, enabled));
        }
      }
    });
  }

  addCommand(context, ScheduleCommandIDs.edit, {
    label: trans.__('Edit Schedule…'),
    execute: async args => {
      const [name] = await pick(args, trans.__('Edit schedule'));
      if (!name) {
        return;
      }
      // Edit what the server has now (the list may be a poll behind).
      const current = await attempt(trans.__('Read schedule'), () => model.get(name));
      if (!current) {
        return;
      }
      const targets = (await attempt(trans.__('Load compute targets'), () => targetNames())) ?? [];
      return attempt(trans.__('Edit "%1"', name), () => editScheduleDialog(current, targets, (n, body) => model.update(n, body)));
    }
  });

  addCommand(context, ScheduleCommandIDs.remove, {
    label: trans.__('Delete Schedule…'),
    execute: async args => {
      const names = await pick(args, trans.__('Delete schedule'));
      await deleteEach({
        names,
        title: trans._n('Delete schedule', 'Delete schedules', names.length),
        question: trans._n(
          'Delete the schedule %2 and its history? Jobs it ran keep their records.',
          'Delete the %1 schedules %2 and their history? Jobs they ran keep their records.',
          names.length,
          quoted(names)
        ),
        what: name => trans.__('Delete "%1"', name),
        remove: name => model.remove(name),
        list: model
      });
    }
  });

  // "Schedule" in every notebook's toolbar, after "Submit as job".
  app.docRegistry.addWidgetExtension(
    'Notebook',
    new NotebookButton(app.commands, {
      name: 'mlservice-schedule',
      command: ScheduleCommandIDs.scheduleNotebook,
      after: ['mlservice-submit'],
      className: 'jp-mlservice-schedule-button',
      icon: historyIcon,
      label: trans.__('Schedule'),
      tooltip: trans.__('Run the saved notebook as a job on a cron schedule')
    })
  );
}
