import { linkIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { notifyError } from '../../notify';
import { trans } from '../../translate';
import { IAreaContext, watchModel } from '../context';
import { EndpointCommandIDs, addEndpointCommands, regenerateKey } from './commands';
import { DeploymentLogsModel, EndpointDetailModel, EndpointsModel } from './model';
import { DeploymentLogView, EndpointView, IEndpointActions, endpointColumns } from './view';

/** The Endpoints area: real-time endpoints, their deployments, traffic and keys. */
export function activateEndpoints(context: IAreaContext): EndpointsModel {
  const { studio, app } = context;
  const model = watchModel(new EndpointsModel({ events: studio.events, auto: false }), trans.__('Endpoints'));
  addEndpointCommands(context, model);
  const run = (id: string, args: Record<string, any>) => void app.commands.execute(id, args);
  const actions: IEndpointActions = {
    deploy: endpoint => run(EndpointCommandIDs.deployModel, { endpoint }),
    deleteEndpoint: name => run(EndpointCommandIDs.deleteEndpoint, { name }),
    deleteDeployment: (endpoint, name) => run(EndpointCommandIDs.deleteDeployment, { endpoint, name }),
    editDeployment: (endpoint, name) => run(EndpointCommandIDs.editDeployment, { endpoint, name }),
    openLogs: (endpoint, name) => run(EndpointCommandIDs.openDeploymentLogs, { endpoint, name }),
    regenerateKey: (detail, which) => void regenerateKey(detail, which),
    notifyError
  };

  studio.addArea({
    id: 'endpoints',
    label: trans.__('Endpoints'),
    rank: 400,
    icon: linkIcon,
    caption: trans.__('Real-time endpoints: a scoring URI with keys, deployments of registered model versions, traffic between them.'),
    list: {
      model,
      columns: endpointColumns(),
      path: endpoint => [endpoint.name],
      itemLabel: endpoint => endpoint.name,
      rowData: endpoint => ({ endpoint: endpoint.name }),
      empty: trans.__('No endpoints. Deploy a model version from Models, or create an endpoint.'),
      actions: [
        {
          id: 'delete',
          label: trans.__('Delete'),
          run: items => run(EndpointCommandIDs.deleteEndpoint, { names: items.map(e => e.name) })
        }
      ],
      commands: [{ id: EndpointCommandIDs.createEndpoint }, { id: EndpointCommandIDs.deployModel }]
    },
    detail: path => {
      const [name, part, deployment] = path;
      if (path.length === 1) {
        const detail = new EndpointDetailModel({ endpoint: name, events: studio.events });
        return {
          label: trans.__('Endpoint %1', name),
          render: host => <EndpointView model={detail} actions={actions} host={host} />,
          dispose: () => detail.dispose()
        };
      }
      if (path.length === 3 && part === 'logs') {
        const logs = new DeploymentLogsModel({ endpoint: name, deployment });
        return {
          label: trans.__('Logs %1/%2', name, deployment),
          render: host => <DeploymentLogView model={logs} host={host} />,
          dispose: () => logs.dispose()
        };
      }
      return null;
    }
  });
  return model;
}
