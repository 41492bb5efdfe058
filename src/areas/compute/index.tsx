import { buildIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { trans } from '../../translate';
import { IAreaContext, watchModel } from '../context';
import { ComputeCommandIDs, addComputeCommands } from './commands';
import { TargetDetailModel, TargetsModel } from './model';
import { TargetView, targetColumns } from './view';

/** The Compute area: compute targets, their capacity and use. */
export function activateCompute(context: IAreaContext): TargetsModel {
  const { studio, app } = context;
  const model = watchModel(new TargetsModel({ events: studio.events, auto: false }), trans.__('Compute targets'));
  addComputeCommands(context, model);
  const remove = (names: string[]) => void app.commands.execute(ComputeCommandIDs.deleteTarget, { names });
  studio.addArea({
    id: 'compute',
    label: trans.__('Compute'),
    rank: 600,
    icon: buildIcon,
    caption: trans.__('Compute targets: where jobs run (this machine, a Ray cluster), with their capacity and use.'),
    list: {
      model,
      columns: targetColumns(),
      path: target => [target.name],
      itemLabel: target => target.name,
      rowData: target => ({ target: target.name }),
      empty: trans.__('No compute targets: create one.'),
      actions: [{ id: 'delete', label: trans.__('Delete'), run: items => remove(items.map(t => t.name)) }],
      commands: [{ id: ComputeCommandIDs.createTarget }]
    },
    detail: path => {
      if (path.length !== 1) {
        return null;
      }
      const detail = new TargetDetailModel({ target: path[0], events: studio.events });
      return {
        label: trans.__('Target %1', path[0]),
        render: host => <TargetView model={detail} host={host} onDelete={name => remove([name])} />,
        dispose: () => detail.dispose()
      };
    }
  });
  return model;
}
