import { Button, HTMLSelect } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { Run } from '../api/client';
import { ExperimentsModel } from '../models/experiments';
import { jobIdOfRun } from '../models/compare';
import { formatNumber, formatTime } from './format';
import { useModel } from './useModel';

export interface IExperimentsSectionProps {
  model: ExperimentsModel;
  onCompare: (runs: Run[]) => void;
  onOpenJob: (jobId: string) => void;
}

/** MLflow experiments and their runs, sortable by any metric, selectable to compare. */
export function ExperimentsSection(props: IExperimentsSectionProps): JSX.Element {
  const model = useModel(props.model);
  const metrics = model.metricNames;
  const order = model.order;
  const shown = order.metric ?? metrics[0] ?? null;
  const selected = new Set(model.selection);
  return (
    <div className="jp-mlservice-section-body jp-mlservice-experiments">
      <div className="jp-mlservice-filters">
        <HTMLSelect
          aria-label="Experiment"
          className="jp-mlservice-experiment-select"
          value={model.selectedExperiment ?? ''}
          onChange={e => void model.selectExperiment(e.currentTarget.value || null)}
          options={model.experiments.map(e => ({ label: e.name, value: e.experiment_id }))}
        />
        <HTMLSelect
          aria-label="Sort runs by"
          className="jp-mlservice-sort-select"
          value={order.metric ?? ''}
          onChange={e => void model.setOrder({ ...order, metric: e.currentTarget.value || null })}
          options={[
            { label: 'Sort: start time', value: '' },
            ...metrics.map(m => ({ label: `Sort: ${m}`, value: m }))
          ]}
        />
        <Button
          minimal
          small
          title="Reverse the order"
          aria-label="Reverse the order"
          onClick={() => void model.setOrder({ ...order, descending: !order.descending })}
        >
          {order.descending ? '↓' : '↑'}
        </Button>
      </div>
      {model.error && <div className="jp-mlservice-error">{model.error}</div>}
      {!model.loading && model.runs.length === 0 && !model.error && (
        <div className="jp-mlservice-empty">No runs.</div>
      )}
      <table className="jp-mlservice-runs">
        <thead>
          <tr>
            <th />
            <th>Run</th>
            <th>Status</th>
            {shown && <th>{shown}</th>}
          </tr>
        </thead>
        <tbody>
          {model.runs.map(run => {
            const jobId = jobIdOfRun(run);
            return (
              <tr key={run.run_id} data-run-id={run.run_id} title={formatTime(run.start_time)}>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`Compare ${run.run_name ?? run.run_id}`}
                    checked={selected.has(run.run_id)}
                    onChange={e => model.toggleRun(run.run_id, e.currentTarget.checked)}
                  />
                </td>
                <td>
                  {jobId ? (
                    <a
                      href="#"
                      onClick={e => {
                        e.preventDefault();
                        props.onOpenJob(jobId);
                      }}
                    >
                      {run.run_name || run.run_id}
                    </a>
                  ) : (
                    run.run_name || run.run_id
                  )}
                </td>
                <td>{run.status}</td>
                {shown && <td className="jp-mlservice-num">{formatNumber(run.metrics?.[shown])}</td>}
              </tr>
            );
          })}
        </tbody>
      </table>
      <div className="jp-mlservice-pager">
        <Button
          small
          className="jp-mlservice-compare-button"
          disabled={model.selectedRuns.length < 1}
          onClick={() => props.onCompare(model.selectedRuns)}
        >
          Compare {model.selectedRuns.length || ''} selected
        </Button>
        {selected.size > 0 && (
          <Button minimal small onClick={() => model.clearSelection()}>
            Clear
          </Button>
        )}
      </div>
    </div>
  );
}
