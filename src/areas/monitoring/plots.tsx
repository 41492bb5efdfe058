/**
 * The Monitoring charts, plain SVG (and one HTML table): lines over time, a heatmap of a
 * signal's statistic per feature and run, and a feature's baseline vs window histogram. Each is
 * a labelled figure; its colours come from the theme's CSS variables (monitoring.css).
 */
import * as React from 'react';

import { formatNumber, formatTime } from '../../components/format';
import { trans } from '../../translate';
import { IHeatmap, ITimeLine, heatColour, lineSegments, overlayBins, timeFrame } from './charts';
import type { MonitorHistogram } from '../../api/client';

const W = 480;
const H = 150;
const M = { top: 8, right: 12, bottom: 22, left: 52 };

function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** Lines over time (one per deployment, or p50/p99 of each), with a legend; the value axis starts at 0. */
export function TimeChart(props: {
  title: string;
  lines: ReadonlyArray<ITimeLine>;
  /** How a value reads on the axis and in tooltips. */
  format?: (value: number) => string;
  className?: string;
}): JSX.Element {
  const { title, lines } = props;
  const format = props.format ?? formatNumber;
  const titleId = React.useId();
  const frame = timeFrame(lines);
  const width = W - M.left - M.right;
  const height = H - M.top - M.bottom;
  const drawn = lines.filter(l => l.points.some(p => p.v !== null));
  return (
    <figure
      className={`jp-mlservice-chart jp-mlservice-time-chart${props.className ? ` ${props.className}` : ''}`}
      data-chart={title}
      aria-labelledby={titleId}
    >
      <figcaption className="jp-mlservice-chart-title" id={titleId}>
        {title}
      </figcaption>
      {!frame || drawn.length === 0 ? (
        <div className="jp-mlservice-empty">{trans.__('No requests in this period.')}</div>
      ) : (
        <>
          <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={titleId} className="jp-mlservice-time-plot" preserveAspectRatio="xMidYMid meet">
            <desc>
              {trans.__('%1 from %2 to %3; highest %4.', title, formatTime(frame.t0), formatTime(frame.t1), format(frame.max))}
            </desc>
            <g transform={`translate(${M.left}, ${M.top})`}>
              <line className="jp-mlservice-axis" x1={0} x2={width} y1={height} y2={height} />
              <line className="jp-mlservice-axis" x1={0} x2={0} y1={0} y2={height} />
              <line className="jp-mlservice-grid" x1={0} x2={width} y1={0} y2={0} />
              <text className="jp-mlservice-tick" x={-4} y={4} textAnchor="end">
                {format(frame.max)}
              </text>
              <text className="jp-mlservice-tick" x={-4} y={height} textAnchor="end">
                0
              </text>
              <text className="jp-mlservice-tick" x={0} y={height + 15} textAnchor="start">
                {clock(frame.t0)}
              </text>
              <text className="jp-mlservice-tick" x={width} y={height + 15} textAnchor="end">
                {clock(frame.t1)}
              </text>
              {lines.map((line, i) =>
                lineSegments(line, frame, width, height).map((points, j) => (
                  <polyline key={`${i}-${j}`} className={`jp-mlservice-line jp-mlservice-series-${i % 6}`} points={points} fill="none">
                    <title>{line.label}</title>
                  </polyline>
                ))
              )}
            </g>
          </svg>
          <ul className="jp-mlservice-legend" aria-label={trans.__('Legend of %1', title)}>
            {lines.map((line, i) => {
              const last = [...line.points].reverse().find(p => p.v !== null);
              return (
                <li key={line.label} data-series={line.label}>
                  <span className={`jp-mlservice-swatch jp-mlservice-series-${i % 6}`} aria-hidden="true" />
                  {line.label}
                  {last && last.v !== null && <span className="jp-mlservice-legend-value">{trans.__('latest %1', format(last.v))}</span>}
                </li>
              );
            })}
          </ul>
        </>
      )}
    </figure>
  );
}

/**
 * A signal's statistic per feature (rows) and run (columns), as the share of its threshold:
 * a drifted cell is marked. A feature's name is a button that shows its histogram in the latest
 * run; a cell shows it in that run.
 */
export function DriftHeatmap(props: {
  map: IHeatmap;
  selected: { feature: string | null; run: number | null };
  onSelect: (feature: string, run: number) => void;
}): JSX.Element {
  const { map, selected, onSelect } = props;
  const captionId = React.useId();
  const lastRun = map.runs[map.runs.length - 1]?.id;
  return (
    <figure className="jp-mlservice-chart jp-mlservice-heatmap" data-runs={map.runs.length} aria-labelledby={captionId}>
      <figcaption className="jp-mlservice-chart-title" id={captionId}>
        {trans.__('Drift per feature over the latest runs (statistic / threshold)')}
      </figcaption>
      <div className="jp-mlservice-heatmap-scroll">
        <table className="jp-mlservice-heatmap-table" aria-labelledby={captionId}>
          <thead>
            <tr>
              <th scope="col">{trans.__('Feature')}</th>
              {map.runs.map(run => (
                <th scope="col" key={run.id} title={trans.__('Run %1, window ending %2', run.id, formatTime(run.windowEnd))} data-run={run.id}>
                  {`#${run.id}`}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {map.features.map(row => (
              <tr key={row.name} data-feature={row.name} data-drifted={String(row.breachedLast)}>
                <th scope="row">
                  <button
                    className="jp-mlservice-link-button"
                    aria-pressed={selected.feature === row.name}
                    title={trans.__('Show the histogram of %1', row.name)}
                    onClick={() => lastRun !== undefined && onSelect(row.name, lastRun)}
                  >
                    {row.name}
                  </button>
                </th>
                {row.cells.map((cell, i) => {
                  const run = map.runs[i];
                  const text = cell
                    ? trans.__('%1 in run %2: %3 (threshold %4)%5', row.name, run.id, formatNumber(cell.statistic), formatNumber(cell.threshold), cell.breached ? trans.__(', drifted') : '')
                    : trans.__('%1: no result in run %2', row.name, run.id);
                  const current = selected.feature === row.name && selected.run === run.id;
                  return (
                    <td
                      key={run.id}
                      className={`jp-mlservice-heat-cell${cell?.breached ? ' jp-mod-breached' : ''}${current ? ' jp-mod-selected' : ''}`}
                      style={{ background: heatColour(cell) }}
                      title={text}
                      aria-label={text}
                      data-run={run.id}
                      onClick={() => cell && onSelect(row.name, run.id)}
                    >
                      {cell?.breached ? '●' : ''}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}

const HW = 480;
const HH = 170;
const HM = { top: 8, right: 8, bottom: 34, left: 40 };

/** A feature's baseline and window histograms overlaid (shares of their values per bin). */
export function HistogramOverlay(props: { feature: string; histogram: MonitorHistogram; run: number }): JSX.Element {
  const { feature, histogram, run } = props;
  const bins = overlayBins(histogram);
  const titleId = React.useId();
  const width = HW - HM.left - HM.right;
  const height = HH - HM.top - HM.bottom;
  const max = Math.max(0.01, ...bins.flatMap(b => [b.baseline, b.window]));
  const step = bins.length > 0 ? width / bins.length : width;
  const bar = Math.max(1, step - 2);
  const every = Math.max(1, Math.ceil(bins.length / 6)); // at most ~6 labels under the axis
  const y = (share: number) => height - (share / max) * height;
  return (
    <figure className="jp-mlservice-chart jp-mlservice-histogram-overlay" data-feature={feature} data-run={run} aria-labelledby={titleId}>
      <figcaption className="jp-mlservice-chart-title" id={titleId}>
        {trans.__('%1: baseline vs window (run %2)', feature, run)}
      </figcaption>
      <svg viewBox={`0 0 ${HW} ${HH}`} role="img" aria-labelledby={titleId} className="jp-mlservice-overlay-plot" preserveAspectRatio="xMidYMid meet">
        <desc>
          {bins.map(b => trans.__('%1: baseline %2%, window %3%', b.label, (b.baseline * 100).toFixed(1), (b.window * 100).toFixed(1))).join('; ')}
        </desc>
        <g transform={`translate(${HM.left}, ${HM.top})`}>
          <line className="jp-mlservice-axis" x1={0} x2={width} y1={height} y2={height} />
          <text className="jp-mlservice-tick" x={-4} y={4} textAnchor="end">
            {`${Math.round(max * 100)}%`}
          </text>
          <text className="jp-mlservice-tick" x={-4} y={height} textAnchor="end">
            0
          </text>
          {bins.map((b, i) => (
            <g key={i} data-bin={b.label}>
              <rect className="jp-mlservice-bar-baseline" x={i * step + 1} y={y(b.baseline)} width={bar} height={height - y(b.baseline)}>
                <title>{trans.__('%1, baseline: %2%', b.label, (b.baseline * 100).toFixed(1))}</title>
              </rect>
              <rect className="jp-mlservice-bar-window" x={i * step + 1} y={y(b.window)} width={bar} height={height - y(b.window)}>
                <title>{trans.__('%1, window: %2%', b.label, (b.window * 100).toFixed(1))}</title>
              </rect>
              {i % every === 0 && (
                <text className="jp-mlservice-tick" x={i * step + step / 2} y={height + 14} textAnchor="middle">
                  {b.label.length > 14 ? `${b.label.slice(0, 13)}…` : b.label}
                </text>
              )}
            </g>
          ))}
        </g>
      </svg>
      <ul className="jp-mlservice-legend" aria-label={trans.__('Legend of the histogram of %1', feature)}>
        <li>
          <span className="jp-mlservice-swatch jp-mlservice-bar-baseline" aria-hidden="true" />
          {trans.__('baseline')}
        </li>
        <li>
          <span className="jp-mlservice-swatch jp-mlservice-bar-window" aria-hidden="true" />
          {trans.__('window')}
        </li>
      </ul>
    </figure>
  );
}
