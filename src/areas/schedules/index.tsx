import type { INotebookTracker } from '@jupyterlab/notebook';
import { historyIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { trans } from '../../translate';
import { IAreaContext, watchModel } from '../context';
import { ScheduleCommandIDs, addScheduleCommands } from './commands';
import { ScheduleDetailModel, SchedulesModel } from './model';
import { IScheduleActions, ScheduleView, scheduleColumns } from './view';

/** The Schedules area: notebooks and jobs on a cron or a recurrence, with their history. */
export function activateSchedules(context: IAreaContext, notebooks: INotebookTracker | null): SchedulesModel {
  const { studio, app } = context;
  const model = watchModel(new SchedulesModel({ events: studio.events, auto: false }), trans.__('Schedules'));
  addScheduleCommands(context, model, notebooks);
  const run = (id: string, args: Record<string, any>) => void app.commands.execute(id, args);
  const actions: IScheduleActions = {
    runNow: name => run(ScheduleCommandIDs.runNow, { name }),
    setEnabled: (name, enabled) => run(enabled ? ScheduleCommandIDs.enable : ScheduleCommandIDs.disable, { name }),
    edit: name => run(ScheduleCommandIDs.edit, { name }),
    remove: name => run(ScheduleCommandIDs.remove, { name })
  };
  const names = (items: { name: string }[]) => items.map(s => s.name);
  studio.addArea({
    id: 'schedules',
    label: trans.__('Schedules'),
    rank: 500,
    icon: historyIcon,
    caption: trans.__('Jobs on a cron or a recurrence, in a time zone; each slot runs once, even across restarts.'),
    list: {
      model,
      columns: scheduleColumns(),
      path: schedule => [schedule.name],
      itemLabel: schedule => schedule.name,
      rowData: schedule => ({ schedule: schedule.name, enabled: String(schedule.enabled) }),
      empty: trans.__('No schedules. Use "Schedule" in a notebook\'s toolbar to run it on a cron.'),
      actions: [
        { id: 'run', label: trans.__('Run now'), run: items => run(ScheduleCommandIDs.runNow, { names: names(items) }) },
        {
          id: 'enable',
          label: trans.__('Enable'),
          applies: s => !s.enabled,
          run: items => run(ScheduleCommandIDs.enable, { names: names(items) })
        },
        {
          id: 'disable',
          label: trans.__('Disable'),
          applies: s => s.enabled,
          run: items => run(ScheduleCommandIDs.disable, { names: names(items) })
        },
        { id: 'delete', label: trans.__('Delete'), run: items => run(ScheduleCommandIDs.remove, { names: names(items) }) }
      ],
      commands: [{ id: ScheduleCommandIDs.scheduleNotebook }]
    },
    detail: path => {
      if (path.length !== 1) {
        return null;
      }
      const detail = new ScheduleDetailModel({ schedule: path[0], events: studio.events });
      return {
        label: trans.__('Schedule %1', path[0]),
        render: host => <ScheduleView model={detail} actions={actions} host={host} />,
        dispose: () => detail.dispose()
      };
    }
  });
  return model;
}
