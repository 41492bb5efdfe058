import type { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { treeViewIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { attempt } from '../../notify';
import { trans } from '../../translate';
import { IAreaContext, watchModel } from '../context';
import { PipelineCommandIDs, addPipelineCommands } from './commands';
import { PipelineRunModel, PipelinesModel, isCancelable, runName } from './model';
import { IPipelineActions, PipelineRunView, pipelineColumns } from './view';

/**
 * The Pipelines area: pipeline runs newest first (steps done, reused); a run's DAG drawn live,
 * each step's job, why it ran, rerun from a step; a *.pipeline.yaml file's graph.
 * Links: /lab/mlservice/pipelines/<id>.
 */
export function activatePipelines(context: IAreaContext, browsers: IFileBrowserFactory | null): PipelinesModel {
  const { studio, app } = context;
  const model = watchModel(new PipelinesModel({ events: studio.events, auto: false }), trans.__('Pipelines'));
  addPipelineCommands(context, model, browsers);

  const actions: IPipelineActions = {
    cancel: detail =>
      void attempt(trans.__('Cancel pipeline run %1', detail.run ? runName(detail.run) : detail.id), () => detail.cancel()),
    rerun: (detail, step) =>
      void app.commands.execute(PipelineCommandIDs.rerunPipeline, step === null ? { id: detail.id, all: true } : { id: detail.id, step })
  };

  studio.addArea({
    id: 'pipelines',
    label: trans.__('Pipelines'),
    rank: 150,
    icon: treeViewIcon,
    caption: trans.__('Pipeline runs: a DAG of steps, each a job; unchanged steps reuse earlier outputs.'),
    list: {
      model,
      columns: pipelineColumns(),
      path: run => [run.id],
      itemLabel: run => runName(run),
      rowData: run => ({ 'pipeline-id': run.id }),
      empty: trans.__('No pipeline runs yet: submit one with ml.pipelines.submit(...) or `mlservice pipeline submit FILE.pipeline.yaml`.'),
      actions: [
        {
          id: 'cancel',
          label: trans.__('Cancel'),
          applies: isCancelable,
          run: runs => app.commands.execute(PipelineCommandIDs.cancelPipeline, { ids: runs.map(r => r.id) })
        }
      ]
    },
    detail: path => {
      if (path.length !== 1) {
        return null;
      }
      const detail = new PipelineRunModel({ id: path[0], events: studio.events });
      return {
        label: trans.__('Pipeline %1', path[0].slice(0, 8)),
        render: host => <PipelineRunView model={detail} actions={actions} host={host} />,
        dispose: () => detail.dispose()
      };
    }
  });
  return model;
}
