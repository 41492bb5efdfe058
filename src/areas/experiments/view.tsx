import * as React from 'react';

import type { Experiment, Run } from '../../api/client';
import { DetailFrame, DetailSection, Facts, IDetailHost, StudioLink } from '../../components/DetailFrame';
import { EntityList, IColumn, IListAction } from '../../components/EntityList';
import { formatNumber, formatTime, statusClass } from '../../components/format';
import { MetricChart } from '../../components/MetricChart';
import { useModel } from '../../components/useModel';
import { trans } from '../../translate';
import { RunDetailModel, RunsModel, jobIdOfRun, metricColumn } from './model';

/** The Experiments list's columns. */
export function experimentColumns(): IColumn<Experiment>[] {
  return [
    { id: 'name', label: trans.__('Name'), render: e => e.name, sortValue: e => e.name, text: e => e.name },
    { id: 'id', label: trans.__('Id'), render: e => e.experiment_id, sortValue: e => Number(e.experiment_id), className: 'jp-mlservice-num' },
    {
      id: 'updated',
      label: trans.__('Last change'),
      render: e => formatTime(e.last_update_time ?? e.creation_time),
      sortValue: e => e.last_update_time ?? e.creation_time ?? 0
    },
    { id: 'created', label: trans.__('Created'), render: e => formatTime(e.creation_time), sortValue: e => e.creation_time ?? 0 }
  ];
}

/** A run's name as lists show it. */
export function runName(run: Run): string {
  return run.run_name || run.run_id;
}

/** The runs list's columns: name, status, start, then one per metric (sorted on the server). */
export function runColumns(metrics: ReadonlyArray<string>): IColumn<Run>[] {
  return [
    { id: 'name', label: trans.__('Run'), render: runName, text: run => `${run.run_name ?? ''} ${run.run_id}` },
    {
      id: 'status',
      label: trans.__('Status'),
      render: run => <span className={statusClass(run.status)}>{run.status}</span>,
      sortValue: run => run.status,
      text: run => run.status
    },
    { id: 'start', label: trans.__('Started'), render: run => formatTime(run.start_time) },
    ...metrics.map(metric => ({
      id: metricColumn(metric),
      label: metric,
      render: (run: Run) => formatNumber(run.metrics?.[metric]),
      className: 'jp-mlservice-num'
    }))
  ];
}

/** An experiment: its runs, sortable by any metric, selectable to compare. */
export function ExperimentView(props: {
  model: RunsModel;
  host: IDetailHost;
  compare: IListAction<Run>;
}): JSX.Element {
  const model = useModel(props.model);
  const { host } = props;
  const runPath = (run: Run) => `experiments/${encodeURIComponent(model.experimentId)}/runs/${encodeURIComponent(run.run_id)}`;
  return (
    <DetailFrame
      host={host}
      kind={trans.__('Experiment')}
      title={model.experiment?.name ?? model.experimentId}
      className="jp-mlservice-experiment-view"
      data={{ 'experiment-id': model.experimentId }}
      meta={model.experiment && <span>{trans.__('id %1', model.experimentId)}</span>}
    >
      <EntityList
        model={model}
        label={trans.__('Runs')}
        columns={runColumns(model.metricNames)}
        actions={[props.compare]}
        itemLabel={runName}
        rowData={run => ({ 'run-id': run.run_id })}
        empty={trans.__('No runs in this experiment yet.')}
        href={run => host.linkTo(runPath(run))}
        onOpen={run => host.open(runPath(run))}
      />
    </DetailFrame>
  );
}

/** One run: its params, every metric's history, and the job that made it. */
export function RunView(props: { model: RunDetailModel; host: IDetailHost; onCompare: (run: Run) => void }): JSX.Element {
  const model = useModel(props.model);
  const { host } = props;
  const run = model.run;
  const histories = model.metrics?.metrics ?? {};
  const params = model.metrics?.params ?? {};
  const jobId = run ? jobIdOfRun(run) : null;
  return (
    <DetailFrame
      host={host}
      kind={trans.__('Run')}
      title={run ? runName(run) : model.runId}
      status={run?.status}
      className="jp-mlservice-run-view"
      data={{ 'run-id': model.runId }}
      model={model}
      actions={run ? [{ label: trans.__('Compare'), onClick: () => props.onCompare(run), className: 'jp-mlservice-run-compare' }] : []}
      meta={
        <>
          <StudioLink host={host} path={`experiments/${encodeURIComponent(model.experimentId)}`}>
            {trans.__('experiment %1', model.experimentId)}
          </StudioLink>
          {jobId && (
            <StudioLink host={host} path={`jobs/${encodeURIComponent(jobId)}`} className="jp-mlservice-run-job">
              {trans.__('job %1', jobId.slice(0, 12))}
            </StudioLink>
          )}
        </>
      }
    >
      <DetailSection title={trans.__('Summary')} className="jp-mlservice-summary">
        <Facts
          rows={[
            [trans.__('Run id'), model.runId],
            [trans.__('Started'), formatTime(run?.start_time)],
            [trans.__('Ended'), formatTime(run?.end_time)]
          ]}
        />
      </DetailSection>
      {Object.keys(params).length > 0 && (
        <DetailSection title={trans.__('Params')} className="jp-mlservice-params">
          <Facts rows={Object.keys(params).sort().map(name => [name, params[name]] as [string, string])} />
        </DetailSection>
      )}
      <DetailSection title={trans.__('Metrics')} className="jp-mlservice-metrics">
        {Object.keys(histories).length === 0 && <div className="jp-mlservice-empty">{trans.__('No metrics logged.')}</div>}
        <div className="jp-mlservice-charts">
          {Object.keys(histories)
            .sort()
            .map(name => (
              <MetricChart key={name} title={name} series={[{ label: name, points: histories[name] }]} />
            ))}
        </div>
      </DetailSection>
    </DetailFrame>
  );
}
