import { bellIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { attempt } from '../../notify';
import { trans } from '../../translate';
import { IAreaContext, watchModel } from '../context';
import { MonitoringCommandIDs, addMonitoringCommands, notifyAlerts } from './commands';
import { EndpointMonitoringModel, MonitorDetailModel, MonitorsModel } from './model';
import { EndpointMonitoringView, IMonitorActions, MonitorView, monitorColumns } from './view';

/**
 * The Monitoring area: monitors (what each watches, its schedule, last run, alerts); a monitor's
 * view (its endpoint's traffic, drift per feature over time, a run's histograms and data quality,
 * alerts, runs) at /lab/mlservice/monitoring/<name>, an endpoint's at
 * /lab/mlservice/monitoring/endpoints/<endpoint>. An alert that asks to notify shows a
 * notification in every open lab.
 */
export function activateMonitoring(context: IAreaContext): MonitorsModel {
  const { studio, app } = context;
  const model = watchModel(new MonitorsModel({ events: studio.events, auto: false }), trans.__('Monitors'));
  addMonitoringCommands(context, model);
  const run = (id: string, names: string[]) => void app.commands.execute(id, { names });

  const actions: IMonitorActions = {
    runNow: detail => void attempt(trans.__('Run monitor "%1"', detail.name), () => detail.runNow()),
    setEnabled: (detail, enabled) =>
      void attempt(enabled ? trans.__('Enable "%1"', detail.name) : trans.__('Disable "%1"', detail.name), () => detail.setEnabled(enabled)),
    remove: name => run(MonitoringCommandIDs.remove, [name])
  };

  notifyAlerts(studio.events, path => void studio.open(path));

  studio.addArea({
    id: 'monitoring',
    label: trans.__('Monitoring'),
    rank: 450,
    icon: bellIcon,
    caption: trans.__('Monitors: drift and data quality of what endpoints and batch jobs see, against a baseline, with alerts.'),
    list: {
      model,
      columns: monitorColumns(),
      path: m => [m.name],
      itemLabel: m => m.name,
      rowData: m => ({ monitor: m.name, enabled: String(m.enabled) }),
      empty: trans.__('No monitors yet: ml.monitors.create(name, endpoint=..., baseline="data:...") creates one.'),
      actions: [
        { id: 'run', label: trans.__('Run now'), run: items => run(MonitoringCommandIDs.runNow, items.map(m => m.name)) },
        { id: 'enable', label: trans.__('Enable'), applies: m => !m.enabled, run: items => run(MonitoringCommandIDs.enable, items.map(m => m.name)) },
        { id: 'disable', label: trans.__('Disable'), applies: m => m.enabled, run: items => run(MonitoringCommandIDs.disable, items.map(m => m.name)) },
        { id: 'delete', label: trans.__('Delete'), run: items => run(MonitoringCommandIDs.remove, items.map(m => m.name)) }
      ]
    },
    detail: path => {
      if (path.length === 2 && path[0] === 'endpoints') {
        const detail = new EndpointMonitoringModel({ endpoint: path[1], events: studio.events });
        return {
          label: trans.__('Monitoring of %1', path[1]),
          render: host => <EndpointMonitoringView model={detail} host={host} />,
          dispose: () => detail.dispose()
        };
      }
      if (path.length !== 1) {
        return null;
      }
      const detail = new MonitorDetailModel({ monitor: path[0], events: studio.events });
      return {
        label: trans.__('Monitor %1', path[0]),
        render: host => <MonitorView model={detail} actions={actions} host={host} />,
        dispose: () => detail.dispose()
      };
    }
  });
  return model;
}
