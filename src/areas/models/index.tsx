import { extensionIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { attempt } from '../../notify';
import { trans } from '../../translate';
import { IAreaContext, watchModel } from '../context';
import { ModelCommandIDs, addModelCommands } from './commands';
import { ModelDetailModel, RegistryModel, VersionDetailModel } from './model';
import { IModelActions, ModelView, VersionView, modelColumns } from './view';

/** The Models area: the model registry, versions with aliases and lineage; "Deploy" a version. */
export function activateModels(context: IAreaContext): RegistryModel {
  const { studio, app } = context;
  const model = watchModel(new RegistryModel({ events: studio.events, auto: false }), trans.__('Models'));
  addModelCommands(context, model);
  const actions: IModelActions = {
    deploy: version => void app.commands.execute(ModelCommandIDs.deployModel, { name: version.name, version: version.version }),
    addAlias: version => void app.commands.execute(ModelCommandIDs.setModelAlias, { name: version.name, version: version.version }),
    removeAlias: (name, alias) => void attempt(trans.__('Remove alias %1', alias), () => model.removeAlias(name, alias)),
    register: name => void app.commands.execute(ModelCommandIDs.registerModel, { name }),
    deleteModel: name => void app.commands.execute(ModelCommandIDs.deleteModel, { name, fromView: true }),
    deleteVersion: version =>
      void app.commands.execute(ModelCommandIDs.deleteModelVersion, { name: version.name, version: version.version, fromView: true })
  };
  studio.addArea({
    id: 'models',
    label: trans.__('Models'),
    rank: 300,
    icon: extensionIcon,
    caption: trans.__('Registered models (MLflow registry): versions, aliases, where each came from; deploy one to an endpoint.'),
    list: {
      model,
      columns: modelColumns(),
      path: item => [item.name],
      itemLabel: item => item.name,
      rowData: item => ({ model: item.name }),
      empty: trans.__('No registered models. Register one from a completed job.'),
      actions: [
        {
          id: 'delete',
          label: trans.__('Delete'),
          run: items => void app.commands.execute(ModelCommandIDs.deleteModel, { names: items.map(m => m.name) })
        }
      ],
      commands: [{ id: ModelCommandIDs.registerModel }]
    },
    detail: path => {
      const [name, version] = path;
      if (path.length === 1) {
        const detail = new ModelDetailModel({ model: name, events: studio.events });
        return {
          label: trans.__('Model %1', name),
          render: host => <ModelView model={detail} actions={actions} host={host} />,
          dispose: () => detail.dispose()
        };
      }
      if (path.length === 2) {
        const detail = new VersionDetailModel({ model: name, version, events: studio.events });
        return {
          label: `${name}:${version}`,
          render: host => <VersionView model={detail} actions={actions} host={host} />,
          dispose: () => detail.dispose()
        };
      }
      return null;
    }
  });
  return model;
}
