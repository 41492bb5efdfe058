import * as React from 'react';

import type { JobProgress } from '../api/client';
import { trans } from '../translate';
import { formatDuration, formatNumber } from './format';

/** The fields a batch job's progress.json carries (see core/batch/runner.py). */
interface IBatchProgress {
  status?: string;
  mini_batches_total?: number | null;
  mini_batches_done?: number | null;
  mini_batches_scored?: number | null;
  mini_batches_skipped?: number | null;
  mini_batches_failed?: number | null;
  retries?: number | null;
  rows_done?: number | null;
  rows_per_s?: number | null;
  elapsed_s?: number | null;
  workers?: number | null;
  output?: string | null;
  error?: string | null;
  failures?: unknown[];
}

/** ...and a notebook job's (core/jobs/notebook_runner.py). */
interface INotebookProgress {
  status?: string;
  cells_total?: number | null;
  cells_done?: number | null;
  failed_cell?: { index?: number; ename?: string; evalue?: string } | null;
}

function count(value: number | null | undefined): string {
  return typeof value === 'number' ? value.toLocaleString('en-US') : '?';
}

/** Done and total of a progress report (mini-batches or cells), or null when it has none. */
export function progressFraction(progress: JobProgress | null | undefined): { done: number; total: number | null } | null {
  if (!progress) {
    return null;
  }
  if (progress.kind === 'batch') {
    const p = progress as IBatchProgress;
    if (typeof p.mini_batches_done !== 'number') {
      return null;
    }
    return { done: p.mini_batches_done, total: typeof p.mini_batches_total === 'number' ? p.mini_batches_total : null };
  }
  if (progress.kind === 'notebook') {
    const p = progress as INotebookProgress;
    if (typeof p.cells_done !== 'number' || !p.cells_total) {
      return null;
    }
    return { done: p.cells_done, total: p.cells_total };
  }
  return null;
}

/**
 * One line of progress: "12/40 mini-batches · 3,200 rows/s" for a batch job,
 * "3/10 cells" for a notebook job; the job's own status while nothing is known.
 */
export function progressText(progress: JobProgress | null | undefined): string {
  if (!progress) {
    return '';
  }
  const fraction = progressFraction(progress);
  if (progress.kind === 'batch') {
    const p = progress as IBatchProgress;
    if (!fraction) {
      return p.status ?? '';
    }
    const parts = [trans.__('%1/%2 mini-batches', count(fraction.done), fraction.total === null ? '?' : count(fraction.total))];
    if (typeof p.rows_per_s === 'number') {
      parts.push(trans.__('%1 rows/s', count(Math.round(p.rows_per_s))));
    }
    if (p.mini_batches_failed) {
      parts.push(trans.__('%1 failed', count(p.mini_batches_failed)));
    }
    return parts.join(' · ');
  }
  if (fraction) {
    return trans.__('%1/%2 cells', count(fraction.done), count(fraction.total));
  }
  return progress.status ?? '';
}

/** A compact bar and line, for the Jobs list. */
export function ProgressSummary(props: { progress: JobProgress | null | undefined }): JSX.Element | null {
  const text = progressText(props.progress);
  if (!text) {
    return null;
  }
  const fraction = progressFraction(props.progress);
  return (
    <div className="jp-mlservice-progress" data-kind={props.progress?.kind}>
      {fraction && fraction.total ? (
        <progress max={fraction.total} value={Math.min(fraction.done, fraction.total)} aria-label={trans.__('Progress')} />
      ) : null}
      <span className="jp-mlservice-progress-text">{text}</span>
    </div>
  );
}

/** Every figure of a progress report, for the job detail view. */
export function ProgressDetail(props: { progress: JobProgress }): JSX.Element {
  const progress = props.progress;
  const rows: [string, string][] = [];
  if (progress.kind === 'batch') {
    const p = progress as IBatchProgress;
    rows.push(
      [trans.__('Mini-batches'), trans.__('%1 of %2 done', count(p.mini_batches_done), count(p.mini_batches_total))],
      [
        trans.__('Scored / skipped / failed'),
        `${count(p.mini_batches_scored)} / ${count(p.mini_batches_skipped)} / ${count(p.mini_batches_failed)}`
      ],
      [trans.__('Rows'), count(p.rows_done)],
      [trans.__('Rows per second'), typeof p.rows_per_s === 'number' ? formatNumber(p.rows_per_s) : ''],
      [trans.__('Retries'), p.retries ? count(p.retries) : ''],
      [trans.__('Workers'), typeof p.workers === 'number' ? String(p.workers) : ''],
      [trans.__('Elapsed'), typeof p.elapsed_s === 'number' ? formatDuration(p.elapsed_s) : ''],
      [trans.__('Output'), p.output ?? '']
    );
  } else if (progress.kind === 'notebook') {
    const p = progress as INotebookProgress;
    rows.push([trans.__('Cells'), trans.__('%1 of %2 run', count(p.cells_done), count(p.cells_total))]);
    if (p.failed_cell) {
      rows.push([trans.__('Failed cell'), `#${p.failed_cell.index ?? '?'}: ${p.failed_cell.ename ?? ''} ${p.failed_cell.evalue ?? ''}`]);
    }
  }
  const error = (progress as IBatchProgress).error;
  return (
    <section className="jp-mlservice-detail-section jp-mlservice-job-progress" data-kind={progress.kind}>
      <h3>{trans.__('Progress')}</h3>
      <ProgressSummary progress={progress} />
      {error && <div className="jp-mlservice-error">{error}</div>}
      <table className="jp-mlservice-kv">
        <tbody>
          <tr>
            <th>{trans.__('State')}</th>
            <td>{progress.status}</td>
          </tr>
          {rows
            .filter(([, value]) => value !== '')
            .map(([label, value]) => (
              <tr key={label}>
                <th>{label}</th>
                <td>{value}</td>
              </tr>
            ))}
        </tbody>
      </table>
    </section>
  );
}
