import { inspectorIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { Run } from '../../api/client';
import type { IListAction } from '../../components/EntityList';
import type { ICompareRun } from '../../studio/model';
import { trans } from '../../translate';
import { IAreaContext, watchModel } from '../context';
import { ExperimentsModel, RunDetailModel, RunsModel } from './model';
import { ExperimentView, RunView, experimentColumns, runName } from './view';

/** The Experiments area: MLflow experiments, their runs (sorted by any metric), one run's histories. */
export function activateExperiments(context: IAreaContext): ExperimentsModel {
  const { studio } = context;
  const model = watchModel(new ExperimentsModel({ events: studio.events, auto: false }), trans.__('Experiments'));
  const compare = (runs: Run[], experiment?: string) => {
    const picked: ICompareRun[] = runs.map(run => ({ run_id: run.run_id, label: runName(run), experiment }));
    studio.compare.add(picked);
    void studio.open(`compare/${studio.compare.runs.map(r => encodeURIComponent(r.run_id)).join(',')}`);
  };
  const compareAction = (runsModel: RunsModel): IListAction<Run> => ({
    id: 'compare',
    label: trans.__('Compare'),
    run: runs => compare(runs, runsModel.experiment?.name)
  });
  studio.addArea({
    id: 'experiments',
    label: trans.__('Experiments'),
    rank: 200,
    icon: inspectorIcon,
    caption: trans.__('MLflow experiments and their runs: every job is a run; compare runs from any experiment.'),
    list: {
      model,
      columns: experimentColumns(),
      path: experiment => [experiment.experiment_id],
      itemLabel: experiment => experiment.name,
      rowData: experiment => ({ 'experiment-id': experiment.experiment_id }),
      empty: trans.__('No experiments yet: every job logs to one.')
    },
    detail: path => {
      const [experimentId, part, runId] = path;
      if (path.length === 1) {
        const runs = new RunsModel({ experimentId, events: studio.events });
        return {
          label: trans.__('Experiment %1', experimentId),
          render: host => <ExperimentView model={runs} host={host} compare={compareAction(runs)} />,
          dispose: () => runs.dispose()
        };
      }
      if (path.length === 3 && part === 'runs') {
        const run = new RunDetailModel({ experimentId, runId, events: studio.events });
        return {
          label: trans.__('Run %1', runId.slice(0, 8)),
          render: host => <RunView model={run} host={host} onCompare={r => compare([r])} />,
          dispose: () => run.dispose()
        };
      }
      return null;
    }
  });
  return model;
}
