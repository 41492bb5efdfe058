import { Button, closeIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { DetailFrame, DetailSection, IDetailHost } from '../../components/DetailFrame';
import { IconButton } from '../../components/IconButton';
import { formatNumber } from '../../components/format';
import { MetricChart } from '../../components/MetricChart';
import { useModel } from '../../components/useModel';
import type { ICompareRun } from '../../studio/model';
import { trans } from '../../translate';
import { CompareModel } from './model';

/** How a compared run is named: its label, and its experiment when known. */
export function compareLabel(run: ICompareRun): string {
  return run.label || run.run_id.slice(0, 8);
}

/** Runs of any experiments: params and last metric values side by side, every metric overlaid. */
export function CompareView(props: {
  model: CompareModel;
  host: IDetailHost;
  onRemove: (runId: string) => void;
  onClear: () => void;
}): JSX.Element {
  const model = useModel(props.model);
  const { host } = props;
  const runs = model.compared;
  const differing = model.differingParams;
  const metricNames = model.metricNames;
  const label = (runId: string) => compareLabel(runs.find(r => r.run_id === runId) ?? { run_id: runId });
  return (
    <DetailFrame
      host={host}
      kind={trans.__('Compare')}
      title={trans._n('%1 run', '%1 runs', model.runs.length)}
      className="jp-mlservice-compare"
      data={{ runs: model.runs.map(r => r.run_id).join(',') }}
      model={model}
      actions={[{ label: trans.__('Clear'), onClick: props.onClear, className: 'jp-mlservice-compare-clear' }]}
    >
      {model.missing.map(({ run, error }) => (
        <div key={run.run_id} className="jp-mlservice-error" role="alert">
          {trans.__('Run %1: %2', compareLabel(run), error)}
        </div>
      ))}
      <DetailSection title={trans.__('Params and metrics')}>
        <table className="jp-mlservice-kv jp-mlservice-compare-table">
          <thead>
            <tr>
              <th scope="col">
                <span className="jp-mlservice-visually-hidden">{trans.__('Name')}</span>
              </th>
              {runs.map(run => (
                <th key={run.run_id} scope="col" data-run-id={run.run_id}>
                  <span className="jp-mlservice-compare-run">{compareLabel(run)}</span>
                  {run.experiment && <span className="jp-mlservice-compare-experiment">{run.experiment}</span>}
                  <IconButton
                    icon={closeIcon}
                    label={trans.__('Remove %1 from the comparison', compareLabel(run))}
                    title={trans.__('Remove from the comparison')}
                    onClick={() => props.onRemove(run.run_id)}
                  />
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {model.paramNames.map(name => (
              <tr key={`param:${name}`} className={`jp-mlservice-param-row${differing.has(name) ? ' jp-mlservice-differs' : ''}`}>
                <th scope="row">{name}</th>
                {runs.map(run => (
                  <td key={run.run_id}>{run.params[name] ?? ''}</td>
                ))}
              </tr>
            ))}
            {metricNames.map(name => (
              <tr key={`metric:${name}`} className="jp-mlservice-metric-row" data-metric={name}>
                <th scope="row">{name}</th>
                {runs.map(run => (
                  <td key={run.run_id} className="jp-mlservice-num">
                    {formatNumber(run.metrics[name])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </DetailSection>
      <DetailSection title={trans.__('Metric histories')} className="jp-mlservice-compare-charts">
        <div className="jp-mlservice-charts">
          {metricNames.map(name => (
            <MetricChart
              key={name}
              title={name}
              series={[...model.histories.get(name)!.entries()].map(([runId, points]) => ({ label: label(runId), points }))}
            />
          ))}
        </div>
      </DetailSection>
    </DetailFrame>
  );
}

/** The Compare page with nothing picked: how to pick runs. */
export function CompareEmpty(props: { runs: ReadonlyArray<ICompareRun>; open: (path: string) => void }): JSX.Element {
  return (
    <div className="jp-mlservice-area jp-mlservice-area-compare">
      <header className="jp-mlservice-area-header">
        <h2>{trans.__('Compare')}</h2>
        <p className="jp-mlservice-area-caption">
          {trans.__('Select runs in Jobs or in any experiment and choose "Compare": they gather here, from any experiment.')}
        </p>
      </header>
      {props.runs.length > 0 && (
        <Button small onClick={() => props.open(`compare/${props.runs.map(r => encodeURIComponent(r.run_id)).join(',')}`)}>
          {trans._n('Compare the %1 picked run', 'Compare the %1 picked runs', props.runs.length)}
        </Button>
      )}
    </div>
  );
}
