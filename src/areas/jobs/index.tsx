import { runIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { Job } from '../../api/client';
import { isJobEnded } from '../../api/statuses';
import type { ICompareRun } from '../../studio/model';
import { trans } from '../../translate';
import { IAreaContext, watchModel } from '../context';
import { JobCommandIDs, IJobServices, addJobCommands } from './commands';
import { JobDetailModel, JobsModel } from './model';
import { IJobActions, JobView, jobColumns, jobFilters, jobName } from './view';

/** The model registry's command the job view offers for completed jobs. */
const REGISTER_MODEL = 'mlservice:register-model';

/** A job's run, as the compare view lists it. */
export function compareRunOfJob(job: Job): ICompareRun | null {
  return job.run_id ? { run_id: job.run_id, label: jobName(job), experiment: job.experiment } : null;
}

/** The Jobs area: every job, newest first; a job's summary, log, metrics and artifacts. */
export function activateJobs(context: IAreaContext, services: IJobServices, targets: () => ReadonlyArray<string>): JobsModel {
  const { studio, app } = context;
  const model = watchModel(new JobsModel({ events: studio.events, auto: false }), trans.__('Jobs'));
  addJobCommands(context, model, services);
  const run = (id: string, args: Record<string, any>) => void app.commands.execute(id, args);
  const compare = (jobs: Job[]) => {
    const runs = jobs.map(compareRunOfJob).filter((r): r is ICompareRun => r !== null);
    studio.compare.add(runs);
    void studio.open(`compare/${studio.compare.runs.map(r => encodeURIComponent(r.run_id)).join(',')}`);
  };
  const actions: IJobActions = {
    cancel: id => run(JobCommandIDs.cancelJob, { id }),
    rerun: id => run(JobCommandIDs.rerunJob, { id }),
    openNotebook: (id, path) => run(JobCommandIDs.openExecutedNotebook, { id, path }),
    compare: job => compare([job]),
    registerModel: id => run(REGISTER_MODEL, { jobId: id })
  };

  studio.addArea({
    id: 'jobs',
    label: trans.__('Jobs'),
    rank: 100,
    icon: runIcon,
    caption: trans.__('Everything that runs is a job: notebooks, scripts, cells, batch scoring; each one an MLflow run.'),
    list: {
      model,
      columns: jobColumns(model),
      filters: jobFilters(targets),
      path: job => [job.id],
      itemLabel: job => jobName(job),
      rowData: job => ({ 'job-id': job.id }),
      empty: trans.__('No jobs yet. Submit a notebook from its toolbar ("Submit as job"), or from a terminal.'),
      actions: [
        {
          id: 'cancel',
          label: trans.__('Cancel'),
          applies: job => !isJobEnded(job.status) && job.status !== 'CancelRequested',
          run: jobs => run(JobCommandIDs.cancelJob, { ids: jobs.map(j => j.id) })
        },
        {
          id: 'rerun',
          label: trans.__('Re-run'),
          applies: job => isJobEnded(job.status),
          run: jobs => run(JobCommandIDs.rerunJob, { ids: jobs.map(j => j.id) })
        },
        { id: 'compare', label: trans.__('Compare'), applies: job => !!job.run_id, run: compare }
      ],
      commands: [{ id: JobCommandIDs.submitNotebook }]
    },
    detail: path => {
      if (path.length !== 1) {
        return null;
      }
      const detail = new JobDetailModel({ id: path[0], events: studio.events });
      return {
        label: trans.__('Job %1', path[0].slice(0, 8)),
        render: host => <JobView model={detail} actions={actions} host={host} />,
        dispose: () => detail.dispose()
      };
    }
  });
  return model;
}
