import { pythonIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { trans } from '../../translate';
import { IAreaContext, watchModel } from '../context';
import { EnvironmentCommandIDs, addEnvironmentCommands } from './commands';
import { EnvironmentDetailModel, EnvironmentVersionModel, EnvironmentsModel } from './model';
import { EnvironmentVersionView, EnvironmentView, environmentColumns } from './view';

/** The Environments area: versioned Python environments, their locks, build state and log. */
export function activateEnvironments(context: IAreaContext): EnvironmentsModel {
  const { studio, app } = context;
  const model = watchModel(new EnvironmentsModel({ events: studio.events, auto: false }), trans.__('Environments'));
  addEnvironmentCommands(context, model);
  studio.addArea({
    id: 'environments',
    label: trans.__('Environments'),
    rank: 620,
    icon: pythonIcon,
    caption: trans.__('Python environments that jobs and deployments run in: requirements, their lock, build state and log.'),
    list: {
      model,
      columns: environmentColumns(),
      path: env => [env.name],
      itemLabel: env => env.name,
      rowData: env => ({ environment: env.name }),
      empty: trans.__('No environments: create one from pip requirements.'),
      commands: [{ id: EnvironmentCommandIDs.createEnvironment }]
    },
    detail: path => {
      const [name, version] = path;
      if (path.length === 1) {
        const detail = new EnvironmentDetailModel({ environment: name, events: studio.events });
        return {
          label: trans.__('Environment %1', name),
          render: host => <EnvironmentView model={detail} host={host} />,
          dispose: () => detail.dispose()
        };
      }
      if (path.length === 2) {
        const detail = new EnvironmentVersionModel({ environment: name, version, events: studio.events });
        const actions = {
          build: () => {
            const done = app.commands.execute(EnvironmentCommandIDs.buildEnvironment, { name, version });
            detail.watch();
            void done.then(() => detail.watch());
          }
        };
        return {
          label: `${name}@${version}`,
          render: host => <EnvironmentVersionView model={detail} actions={actions} host={host} />,
          dispose: () => detail.dispose()
        };
      }
      return null;
    }
  });
  return model;
}
