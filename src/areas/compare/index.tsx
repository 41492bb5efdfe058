import { filterListIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { CommandIDs } from '../../tokens';
import { trans } from '../../translate';
import { IAreaContext, addCommand } from '../context';
import { CompareModel } from './model';
import { CompareEmpty, CompareView } from './view';

/** The studio path that compares these runs. */
export function comparePath(runIds: ReadonlyArray<string>): string {
  return `compare/${runIds.map(encodeURIComponent).join(',')}`;
}

/**
 * Compare: runs picked from any list (Jobs, any experiment's runs) side by side.
 * Not in the nav until runs are picked; /lab/mlservice/compare/<run>,<run> links to it.
 */
export function activateCompare(context: IAreaContext): void {
  const { studio } = context;
  const selection = studio.compare;

  addCommand(context, CommandIDs.compareRuns, {
    label: trans.__('Compare Selected Runs'),
    caption: trans.__('Open the runs picked in Jobs and experiments side by side'),
    isEnabled: () => selection.runs.length > 0,
    execute: () => studio.open(comparePath(selection.runs.map(r => r.run_id)))
  });

  studio.addArea({
    id: 'compare',
    label: trans.__('Compare'),
    rank: 250,
    icon: filterListIcon,
    hidden: true,
    page: host => <CompareEmpty runs={selection.runs} open={host.open} />,
    detail: path => {
      if (path.length !== 1 || !path[0]) {
        return null;
      }
      const ids = path[0].split(',').filter(Boolean);
      // A link opened afresh brings its runs along (named by id until a list names them).
      selection.add(ids.map(run_id => ({ run_id })));
      const runs = ids.map(id => selection.runs.find(r => r.run_id === id)!);
      const model = new CompareModel({ runs });
      return {
        label: trans._n('Compare %1 run', 'Compare %1 runs', runs.length),
        render: host => (
          <CompareView
            model={model}
            host={host}
            onRemove={runId => {
              selection.remove(runId);
              host.open(selection.runs.length > 0 ? comparePath(selection.runs.map(r => r.run_id)) : 'compare');
            }}
            onClear={() => {
              selection.clear();
              host.open('compare');
            }}
          />
        ),
        dispose: () => model.dispose()
      };
    }
  });
}
