import { searchIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { Job } from '../../api/client';
import { isJobEnded } from '../../api/statuses';
import { attempt } from '../../notify';
import { trans } from '../../translate';
import { IAreaContext, watchModel } from '../context';
import { SearchDetailModel, SearchesModel, SweepTrialsModel } from './model';
import { ISearchActions, SearchView, kindLabel, searchColumns, searchFilters, searchName } from './view';

/** The model registry's command ("Register Model…", from a job's run). */
const REGISTER_MODEL = 'mlservice:register-model';

/**
 * The Sweeps area: sweeps and AutoML runs, newest first; a sweep's trials (sortable by any metric
 * or parameter), its best so far and parameters vs objective; an AutoML run's leaderboard and
 * feature importance; cancel, register the best model. Links: /lab/mlservice/sweeps/<id>.
 */
export function activateSweeps(context: IAreaContext): SearchesModel {
  const { studio, app } = context;
  const model = watchModel(new SearchesModel({ events: studio.events, auto: false }), trans.__('Sweeps'));

  /** Cancel each (as Jobs does: no confirmation; what finished is kept). */
  const cancel = async (jobs: ReadonlyArray<Job>) => {
    for (const job of jobs) {
      await attempt(trans.__('Cancel %1 "%2"', kindLabel(job.kind), searchName(job)), () => model.cancel(job));
    }
    model.clearSelection();
  };

  const actions: ISearchActions = {
    cancel: detail => void attempt(trans.__('Cancel %1', detail.job ? searchName(detail.job) : detail.id), () => detail.cancel()),
    registerModel: jobId => void app.commands.execute(REGISTER_MODEL, { jobId }),
    compare: runs => {
      studio.compare.add(runs);
      void studio.open(`compare/${studio.compare.runs.map(r => encodeURIComponent(r.run_id)).join(',')}`);
    }
  };

  studio.addArea({
    id: 'sweeps',
    label: trans.__('Sweeps'),
    rank: 120,
    icon: searchIcon,
    caption: trans.__('Sweeps and AutoML runs: many trials of a job, searching for the best model.'),
    list: {
      model,
      columns: searchColumns(model),
      filters: searchFilters(),
      path: job => [job.id],
      itemLabel: job => searchName(job),
      rowData: job => ({ 'sweep-id': job.id, kind: job.kind }),
      empty: trans.__('No sweeps or AutoML runs yet: submit one with ml.sweeps.submit(...) or ml.automl.submit(...).'),
      actions: [
        {
          id: 'cancel',
          label: trans.__('Cancel'),
          applies: job => !isJobEnded(job.status) && job.status !== 'CancelRequested',
          run: jobs => cancel(jobs)
        }
      ]
    },
    detail: path => {
      if (path.length !== 1) {
        return null;
      }
      const detail = new SearchDetailModel({ id: path[0], events: studio.events });
      const trials = new SweepTrialsModel({ id: path[0], events: studio.events, auto: false });
      return {
        label: trans.__('Sweep %1', path[0]),
        render: host => <SearchView model={detail} trials={trials} actions={actions} host={host} />,
        dispose: () => {
          trials.dispose();
          detail.dispose();
        }
      };
    }
  });
  return model;
}
