import type { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { fileIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { attempt } from '../../notify';
import { trans } from '../../translate';
import { IAreaContext, watchModel } from '../context';
import { DataCommandIDs, addDataCommands } from './commands';
import { DataAssetDetailModel, DataModel, DataVersionDetailModel } from './model';
import { DataAssetView, DataVersionView, IDataActions, dataColumns } from './view';

/** The Data area: versioned data assets, each version's profile, preview and lineage. */
export function activateData(context: IAreaContext, browsers: IFileBrowserFactory | null): DataModel {
  const { studio, app } = context;
  const model = watchModel(new DataModel({ events: studio.events, auto: false }), trans.__('Data'));
  addDataCommands(context, model, browsers);
  const run = (id: string, args: Record<string, any>) => void app.commands.execute(id, args);
  const actions: IDataActions = {
    addAlias: v => run(DataCommandIDs.setDataAlias, { name: v.name, version: v.version }),
    removeAlias: (name, alias) => void attempt(trans.__('Remove alias %1', alias), () => model.removeAlias(name, alias)),
    setArchived: (name, archived) => run(DataCommandIDs.archiveData, { name, restore: !archived }),
    setVersionArchived: (v, archived) =>
      void attempt(archived ? trans.__('Archive %1@%2', v.name, v.version) : trans.__('Restore %1@%2', v.name, v.version), () =>
        model.setVersionArchived(v.name, v.version, archived)
      ),
    computeProfile: v => run(DataCommandIDs.profileData, { name: v.name, version: v.version })
  };
  studio.addArea({
    id: 'data',
    label: trans.__('Data'),
    rank: 250,
    icon: fileIcon,
    caption: trans.__('Versioned data assets that jobs read as data:name@version: profiles, previews, lineage.'),
    list: {
      model,
      columns: dataColumns(),
      path: asset => [asset.name],
      itemLabel: asset => asset.name,
      rowData: asset => ({ data: asset.name }),
      empty: trans.__('No data assets. Right-click a file or folder in the file browser: "Register as Data Asset".'),
      actions: [{ id: 'archive', label: trans.__('Archive'), run: items => run(DataCommandIDs.archiveData, { names: items.map(a => a.name) }) }],
      commands: [{ id: DataCommandIDs.registerData }]
    },
    detail: path => {
      const [name, version] = path;
      if (path.length === 1) {
        const detail = new DataAssetDetailModel({ asset: name, events: studio.events });
        return {
          label: trans.__('Data %1', name),
          render: host => <DataAssetView model={detail} actions={actions} host={host} />,
          dispose: () => detail.dispose()
        };
      }
      if (path.length === 2) {
        const detail = new DataVersionDetailModel({ asset: name, version, events: studio.events });
        return {
          label: `${name}@${version}`,
          render: host => <DataVersionView model={detail} actions={actions} host={host} />,
          dispose: () => detail.dispose()
        };
      }
      return null;
    }
  });
  return model;
}
