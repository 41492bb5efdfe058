/**
 * The Schedules section of the ML Service sidebar and the "Schedule" button of
 * every notebook's toolbar: run a notebook on a cron, see each schedule's runs,
 * run now, enable/disable, edit any of its settings, delete.
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, InputDialog, Notification, ToolbarButton } from '@jupyterlab/apputils';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { INotebookModel, INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { CommandToolbarButton, ReactWidget, historyIcon, refreshIcon } from '@jupyterlab/ui-components';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';
import * as React from 'react';

import * as api from './api/client';
import type { Schedule } from './api/client';
import { SchedulesSection } from './components/SchedulesSection';
import { confirm } from './dialogs';
import { JobEvents } from './models/events';
import { attempt, notifyError, notifyModelErrors, readSavedNotebook } from './notify';
import { SchedulesModel, initialScheduleForm, validateScheduleForm } from './models/schedules';
import { notebookParameters } from './parameters';
import { editScheduleDialog, scheduleDialog } from './scheduleDialog';
import { CommandIDs, IMLServiceSidebar, PALETTE_CATEGORY, SIDEBAR_ID } from './tokens';

/** Commands of the Schedules section (all in the palette). */
export namespace ScheduleCommandIDs {
  export const scheduleNotebook = 'mlservice:schedule-notebook';
  export const refresh = 'mlservice:refresh-schedules';
  export const runNow = 'mlservice:run-schedule-now';
  export const enable = 'mlservice:enable-schedule';
  export const disable = 'mlservice:disable-schedule';
  export const edit = 'mlservice:edit-schedule';
  export const remove = 'mlservice:delete-schedule';
}

export const SCHEDULES_SECTION_ID = 'jp-mlservice-schedules';


export const schedulesPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter_mlservice:schedules',
  description: 'ML Service sidebar: scheduled notebooks and jobs; the notebook toolbar "Schedule" button.',
  autoStart: true,
  requires: [IMLServiceSidebar],
  optional: [ICommandPalette, INotebookTracker],
  activate: (
    app: JupyterFrontEnd,
    sidebar: IMLServiceSidebar,
    palette: ICommandPalette | null,
    notebooks: INotebookTracker | null
  ) => {
    const { commands, shell } = app;
    const events = new JobEvents((app.serviceManager as any).events ?? null);
    const model = new SchedulesModel({ events });
    notifyModelErrors(model, 'Schedules');

    /** A schedule from the args, or picked from the list. */
    const pick = async (args: any, title: string): Promise<Schedule | null> => {
      if (args.name) {
        return model.find(String(args.name)) ?? (await api.getSchedule(String(args.name)));
      }
      await model.refresh();
      const names = model.items.map(s => s.name);
      if (names.length === 0) {
        Notification.info('There are no schedules yet.');
        return null;
      }
      const answer = await InputDialog.getItem({ title, items: names });
      if (!answer.button.accept || !answer.value) {
        return null;
      }
      return model.find(answer.value) ?? null;
    };

    const showSection = () => {
      shell.activateById(SIDEBAR_ID);
      const section = document.getElementById(SCHEDULES_SECTION_ID);
      section?.scrollIntoView({ block: 'nearest' });
    };

    commands.addCommand(ScheduleCommandIDs.refresh, {
      label: args => (args.toolbar ? '' : 'Refresh Schedules'),
      caption: 'Refresh the schedules and their runs',
      icon: args => (args.toolbar ? refreshIcon : undefined),
      execute: () => model.refresh()
    });

    commands.addCommand(ScheduleCommandIDs.scheduleNotebook, {
      label: args => (args.toolbar ? 'Schedule' : 'Schedule Notebook…'),
      caption: 'Run the saved notebook as a job on a cron schedule',
      icon: args => (args.toolbar ? historyIcon : undefined),
      isEnabled: args => !!(args.path || notebooks?.currentWidget),
      execute: async args => {
        const path = args.path ? String(args.path) : (notebooks?.currentWidget?.context.path ?? null);
        if (!path) {
          return;
        }
        // Runs read the saved file: save an open, modified notebook first.
        const content =
          (await attempt('Read notebook', () => readSavedNotebook(app.serviceManager.contents, notebooks, path))) ?? null;
        const targets = (await attempt('Load compute targets', () => api.listTargets({ limit: 1000 })))?.items ?? [];
        const names = targets.map(t => t.name);
        await attempt('Load schedules', () => model.refresh());
        try {
          const created = await scheduleDialog<api.ScheduleCreate>({
            title: 'Schedule notebook',
            okLabel: 'Create schedule',
            initial: initialScheduleForm(path, notebookParameters(content), names),
            targets: names,
            validate: form => validateScheduleForm(form, names, model.items.map(s => s.name)),
            send: body => model.create(body)
          });
          if (!created) {
            return;
          }
          Notification.success(`Created schedule "${created.name}".`, {
            autoClose: 4000,
            actions: [{ label: 'Show', callback: showSection }]
          });
          await model.select(created.name);
          return created;
        } catch (error) {
          notifyError(error, 'Create schedule');
          return;
        }
      }
    });

    commands.addCommand(ScheduleCommandIDs.runNow, {
      label: 'Run Schedule Now…',
      execute: async args => {
        const schedule = await attempt('Run schedule', () => pick(args, 'Run schedule now'));
        if (!schedule) {
          return;
        }
        const run = await attempt(`Run "${schedule.name}"`, () => model.runNow(schedule.name));
        if (run?.job_id) {
          const id = run.job_id;
          Notification.success(`Submitted job ${id} for "${schedule.name}".`, {
            autoClose: 4000,
            actions: [{ label: 'Open', callback: () => void commands.execute(CommandIDs.openJob, { id }) }]
          });
        } else if (run) {
          Notification.warning(`"${schedule.name}" did not submit a run: ${run.reason ?? run.state}`, {
            autoClose: 6000
          });
        }
        return run;
      }
    });

    for (const [id, enabled] of [
      [ScheduleCommandIDs.enable, true],
      [ScheduleCommandIDs.disable, false]
    ] as const) {
      commands.addCommand(id, {
        label: enabled ? 'Enable Schedule…' : 'Disable Schedule…',
        execute: async args => {
          const schedule = await attempt('Schedule', () =>
            pick(args, enabled ? 'Enable schedule' : 'Disable schedule')
          );
          if (schedule) {
            return attempt(`${enabled ? 'Enable' : 'Disable'} "${schedule.name}"`, () =>
              model.setEnabled(schedule.name, enabled)
            );
          }
        }
      });
    }

    commands.addCommand(ScheduleCommandIDs.edit, {
      label: 'Edit Schedule…',
      execute: async args => {
        const schedule = await attempt('Edit schedule', () => pick(args, 'Edit schedule'));
        if (!schedule) {
          return;
        }
        // Edit what the server has now (the list may be a poll behind).
        const current = await attempt('Read schedule', () => api.getSchedule(schedule.name));
        if (!current) {
          return;
        }
        const targets = (await attempt('Load compute targets', () => api.listTargets({ limit: 1000 })))?.items ?? [];
        return attempt(`Edit "${schedule.name}"`, () =>
          editScheduleDialog(
            current,
            targets.map(t => t.name),
            (name, body) => model.update(name, body)
          )
        );
      }
    });

    commands.addCommand(ScheduleCommandIDs.remove, {
      label: 'Delete Schedule…',
      execute: async args => {
        const schedule = await attempt('Delete schedule', () => pick(args, 'Delete schedule'));
        if (!schedule) {
          return;
        }
        const ok = await confirm(
          'Delete schedule',
          `Delete the schedule "${schedule.name}" and its history? Jobs it ran keep their records.`,
          'Delete'
        );
        if (ok) {
          await attempt(`Delete "${schedule.name}"`, () => model.remove(schedule.name));
        }
      }
    });

    sidebar.addSection({
      id: SCHEDULES_SECTION_ID,
      label: 'Schedules',
      rank: 250,
      widget: ReactWidget.create(
        <SchedulesSection
          model={model}
          onOpenJob={id => void commands.execute(CommandIDs.openJob, { id })}
          onRunNow={s => void commands.execute(ScheduleCommandIDs.runNow, { name: s.name })}
          onSetEnabled={(s, enabled) =>
            void commands.execute(enabled ? ScheduleCommandIDs.enable : ScheduleCommandIDs.disable, {
              name: s.name
            })
          }
          onEdit={s => void commands.execute(ScheduleCommandIDs.edit, { name: s.name })}
          onDelete={s => void commands.execute(ScheduleCommandIDs.remove, { name: s.name })}
        />
      ),
      toolbar: [
        {
          name: 'refresh-schedules',
          widget: new CommandToolbarButton({ commands, id: ScheduleCommandIDs.refresh, args: { toolbar: true } })
        }
      ]
    });

    if (palette) {
      for (const command of Object.values(ScheduleCommandIDs)) {
        palette.addItem({ command, category: PALETTE_CATEGORY });
      }
    }

    app.docRegistry.addWidgetExtension('Notebook', new ScheduleButtonExtension(commands));
  }
};

/** Adds "Schedule" to every notebook's toolbar, after "Submit as job". */
class ScheduleButtonExtension implements DocumentRegistry.IWidgetExtension<NotebookPanel, INotebookModel> {
  constructor(private _commands: JupyterFrontEnd['commands']) {}

  createNew(panel: NotebookPanel): IDisposable {
    const button = new ToolbarButton({
      className: 'jp-mlservice-schedule-button',
      icon: historyIcon,
      label: 'Schedule',
      tooltip: 'Run the saved notebook as a job on a cron schedule',
      onClick: () =>
        void this._commands.execute(ScheduleCommandIDs.scheduleNotebook, { path: panel.context.path })
    });
    if (!panel.toolbar.insertAfter('mlservice-submit', 'mlservice-schedule', button)) {
      panel.toolbar.insertAfter('cellType', 'mlservice-schedule', button);
    }
    return new DisposableDelegate(() => button.dispose());
  }
}
