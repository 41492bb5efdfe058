import * as React from 'react';

import { CompareModel } from '../models/compare';
import { formatNumber } from './format';
import { MetricChart } from './MetricChart';
import { useModel } from './useModel';

/** Several runs: every metric overlaid, params and last metric values side by side. */
export function CompareView(props: { model: CompareModel }): JSX.Element {
  const model = useModel(props.model);
  const runs = model.runs;
  const label = (runId: string) => {
    const run = runs.find(r => r.run_id === runId);
    return run?.run_name || runId.slice(0, 8);
  };
  const metricNames = [...model.histories.keys()].sort();
  const differing = model.differingParams;
  return (
    <div className="jp-mlservice-detail jp-mlservice-compare">
      <header className="jp-mlservice-detail-header">
        <h2>Compare {runs.length} runs</h2>
      </header>
      {model.error && <div className="jp-mlservice-error">{model.error}</div>}
      <section className="jp-mlservice-detail-section">
        <h3>Params</h3>
        <table className="jp-mlservice-kv jp-mlservice-compare-table">
          <thead>
            <tr>
              <th />
              {runs.map(run => (
                <th key={run.run_id}>{label(run.run_id)}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {model.paramNames.map(name => (
              <tr key={name} className={differing.has(name) ? 'jp-mlservice-differs' : ''}>
                <th>{name}</th>
                {runs.map(run => (
                  <td key={run.run_id}>{run.params?.[name] ?? ''}</td>
                ))}
              </tr>
            ))}
            {[...new Set(runs.flatMap(r => Object.keys(r.metrics ?? {})))].sort().map(name => (
              <tr key={`metric:${name}`} className="jp-mlservice-metric-row">
                <th>{name}</th>
                {runs.map(run => (
                  <td key={run.run_id} className="jp-mlservice-num">
                    {formatNumber(run.metrics?.[name])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="jp-mlservice-detail-section">
        <h3>Metrics</h3>
        {model.loading && <div className="jp-mlservice-empty">Loading…</div>}
        <div className="jp-mlservice-charts">
          {metricNames.map(name => (
            <MetricChart
              key={name}
              title={name}
              series={[...model.histories.get(name)!.entries()].map(([runId, points]) => ({
                label: label(runId),
                points
              }))}
            />
          ))}
        </div>
      </section>
    </div>
  );
}
