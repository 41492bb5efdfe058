/** The Monitoring area's commands (run a monitor now, enable or disable it, delete monitors) and its alert notifications. */
import { Notification } from '@jupyterlab/apputils';
import type { IDisposable } from '@lumino/disposable';

import { attempt } from '../../notify';
import { trans } from '../../translate';
import { IAreaContext, addCommand, deleteEach, namesToActOn, quoted } from '../context';
import type { ServiceEvents } from '../../models/events';
import { MonitorsModel } from './model';
import { monitorPath } from './view';

export namespace MonitoringCommandIDs {
  export const runNow = 'mlservice:run-monitor';
  export const enable = 'mlservice:enable-monitor';
  export const disable = 'mlservice:disable-monitor';
  export const remove = 'mlservice:delete-monitor';
}

export function addMonitoringCommands(context: IAreaContext, model: MonitorsModel): void {
  const { studio } = context;
  const names = async () => {
    await model.refresh();
    return model.items.map(m => m.name);
  };

  addCommand(context, MonitoringCommandIDs.runNow, {
    label: trans.__('Run Monitor Now…'),
    caption: trans.__('Judge the window that ends now (a job)'),
    execute: async args => {
      for (const name of await namesToActOn(args, trans.__('Run monitor now'), names)) {
        const run = await attempt(trans.__('Run monitor "%1"', name), () => model.runNow(name));
        if (run) {
          Notification.success(trans.__('Monitor "%1" started run %2 (job %3).', name, run.id, run.job_id), {
            autoClose: 4000,
            actions: [{ label: trans.__('Open'), callback: () => void studio.open(monitorPath(name)) }]
          });
        }
      }
    }
  });

  for (const [id, enabled] of [
    [MonitoringCommandIDs.enable, true],
    [MonitoringCommandIDs.disable, false]
  ] as const) {
    addCommand(context, id, {
      label: enabled ? trans.__('Enable Monitor…') : trans.__('Disable Monitor…'),
      execute: async args => {
        for (const name of await namesToActOn(args, enabled ? trans.__('Enable monitor') : trans.__('Disable monitor'), names)) {
          await attempt(enabled ? trans.__('Enable "%1"', name) : trans.__('Disable "%1"', name), () => model.setEnabled(name, enabled));
        }
        model.clearSelection();
      }
    });
  }

  addCommand(context, MonitoringCommandIDs.remove, {
    label: trans.__('Delete Monitor…'),
    execute: async args => {
      const chosen = await namesToActOn(args, trans.__('Delete monitor'), names);
      await deleteEach({
        names: chosen,
        title: trans._n('Delete monitor', 'Delete monitors', chosen.length),
        question: trans._n(
          'Delete the monitor %2 with its schedule, runs and alerts? Its run jobs stay.',
          'Delete the %1 monitors %2 with their schedules, runs and alerts? Their run jobs stay.',
          chosen.length,
          quoted(chosen)
        ),
        what: name => trans.__('Delete monitor "%1"', name),
        remove: name => model.remove(name),
        list: model
      });
    }
  });
}

/**
 * Show a notification for each alert a monitor raises with `notify` (the server's `monitor`
 * event, action `alert`), with "Open" to its monitor's view; stays until dismissed.
 */
export function notifyAlerts(events: ServiceEvents, open: (path: string) => void): IDisposable {
  return events.on('monitor', event => {
    if (event.action !== 'alert' || event.notify === false) {
      return;
    }
    Notification.warning(event.message || trans.__('Monitor "%1" raised an alert.', event.monitor), {
      autoClose: false,
      actions: [{ label: trans.__('Open'), callback: () => open(monitorPath(event.monitor)) }]
    });
  });
}
