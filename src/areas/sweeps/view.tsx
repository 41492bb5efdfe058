import * as React from 'react';

import type { AutoMLRun, Job, SearchParameter, Sweep, SweepTrial } from '../../api/client';
import { JOB_STATUSES, isJobEnded } from '../../api/statuses';
import { DetailFrame, DetailSection, Facts, IDetailAction, IDetailHost, StudioLink } from '../../components/DetailFrame';
import { EntityList, IColumn, IFilter } from '../../components/EntityList';
import { formatDuration, formatNumber, formatTime, statusClass } from '../../components/format';
import { MetricChart } from '../../components/MetricChart';
import { useActiveModel, useModel } from '../../components/useModel';
import { trans } from '../../translate';
import { ExperimentLink } from '../jobs/view';
import { ChartTrial, Goal, IAxis, bestSoFar, parallelAxes, quality, trialLine, trialPoints } from './charts';
import { SEARCH_KINDS, SearchDetailModel, SearchesModel, SweepTrialsModel } from './model';

/** How the area names a kind of search. */
export function kindLabel(kind: string): string {
  return kind === 'automl' ? trans.__('AutoML') : kind === 'sweep' ? trans.__('Sweep') : kind;
}

/** A sweep's or AutoML run's name as lists show it: its display name, else its id. */
export function searchName(job: Pick<Job, 'id' | 'display_name'>): string {
  return job.display_name || job.id;
}

/** The list's columns: kind, status, objective, best so far, trials, experiment, times. */
export function searchColumns(model: SearchesModel): IColumn<Job>[] {
  const summary = (job: Job) => model.summary(job.id);
  return [
    { id: 'name', label: trans.__('Name'), render: searchName, sortValue: searchName, text: job => `${job.display_name} ${job.id}` },
    { id: 'kind', label: trans.__('Kind'), render: job => <span className="jp-mlservice-chip">{kindLabel(job.kind)}</span>, sortValue: job => job.kind, text: job => kindLabel(job.kind) },
    {
      id: 'status',
      label: trans.__('Status'),
      render: job => (
        <span className={statusClass(job.status)} data-status={job.status}>
          {job.status}
        </span>
      ),
      sortValue: job => JOB_STATUSES.indexOf(job.status as any),
      text: job => job.status
    },
    { id: 'objective', label: trans.__('Objective'), render: job => summary(job)?.objective ?? '', sortValue: job => summary(job)?.objective, text: job => summary(job)?.objective ?? '' },
    {
      id: 'best',
      label: trans.__('Best'),
      render: job => formatNumber(summary(job)?.best),
      sortValue: job => summary(job)?.best,
      className: 'jp-mlservice-num'
    },
    {
      id: 'trials',
      label: trans.__('Trials'),
      render: job => {
        const s = summary(job);
        return s ? (s.max ? trans.__('%1 of %2', s.done, s.max) : String(s.done)) : '';
      },
      sortValue: job => summary(job)?.done,
      className: 'jp-mlservice-num'
    },
    { id: 'experiment', label: trans.__('Experiment'), render: job => job.experiment, sortValue: job => job.experiment, text: job => job.experiment },
    { id: 'created', label: trans.__('Created'), render: job => formatTime(job.created_at), sortValue: job => job.created_at },
    { id: 'duration', label: trans.__('Duration'), render: job => formatDuration(job.duration_s), sortValue: job => job.duration_s, className: 'jp-mlservice-num' }
  ];
}

/** The list's filters: sweeps or AutoML runs, and a status. */
export function searchFilters(): IFilter[] {
  return [
    { id: 'kind', label: trans.__('Kind'), kind: 'select', options: () => SEARCH_KINDS.map(k => ({ label: kindLabel(k), value: k })) },
    { id: 'status', label: trans.__('Status'), kind: 'select', options: () => JOB_STATUSES.map(s => ({ label: s, value: s })) }
  ];
}

/** What a sweep's or AutoML run's view asks the application to do (the area binds them to commands). */
export interface ISearchActions {
  cancel: (model: SearchDetailModel) => void;
  /** Register the model a job's run logged at `model` (the best trial's, the final AutoML job's). */
  registerModel: (jobId: string) => void;
  /** Add runs to the comparison and open it. */
  compare: (runs: { run_id: string; label: string }[]) => void;
}

/** A sweep or an AutoML run: what it searched, what it found, and the way to its best model. */
export function SearchView(props: {
  model: SearchDetailModel;
  trials: SweepTrialsModel;
  actions: ISearchActions;
  host: IDetailHost;
}): JSX.Element {
  const model = useModel(props.model);
  const { actions, host } = props;
  const job = model.job;
  const ended = job ? isJobEnded(job.status) : false;
  const bestJob = model.sweep?.best_trial?.job_id ?? model.automl?.best_model_job_id ?? null;
  const buttons: IDetailAction[] = [];
  if (model.kind && job && !ended && job.status !== 'CancelRequested') {
    buttons.push({ label: trans.__('Cancel'), onClick: () => actions.cancel(model), className: 'jp-mlservice-sweep-cancel' });
  }
  if (bestJob) {
    buttons.push({
      label: trans.__('Register best model'),
      title: trans.__('Register the model the best trial logged at "model"'),
      onClick: () => actions.registerModel(bestJob),
      className: 'jp-mlservice-sweep-register'
    });
  }
  const kind = model.kind === 'automl' ? trans.__('AutoML run') : trans.__('Sweep');
  return (
    <DetailFrame
      host={host}
      kind={kind}
      title={job ? searchName(job) : model.id}
      status={job?.status}
      actions={buttons}
      model={model}
      className="jp-mlservice-sweep-view"
      data={{ 'sweep-id': model.id, kind: model.kind ?? '' }}
      meta={
        job && (
          <>
            <StudioLink host={host} path={`jobs/${encodeURIComponent(job.id)}`} title={trans.__('The parent job: its log and run')}>
              {trans.__('job %1', job.id)}
            </StudioLink>
            <span title={trans.__('Target')}>{job.target}</span>
            <ExperimentLink host={host} job={job} />
          </>
        )
      }
    >
      {model.otherKind && (
        <div className="jp-mlservice-empty">
          {trans.__('Job %1 is a %2 job, not a sweep or an AutoML run.', model.id, model.otherKind)}{' '}
          <StudioLink host={host} path={`jobs/${encodeURIComponent(model.id)}`}>
            {trans.__('Open it in Jobs')}
          </StudioLink>
        </div>
      )}
      {job?.error && <div className="jp-mlservice-error jp-mlservice-job-error">{job.error}</div>}
      {model.sweep && <SweepSections sweep={model.sweep} trials={props.trials} actions={actions} host={host} />}
      {model.automl && <AutoMLSections run={model.automl} curve={model.bestCurve} host={host} />}
    </DetailFrame>
  );
}

function searchSpaceText(p: SearchParameter): string {
  switch (p.type) {
    case 'choice':
      return `choice(${(p.values ?? []).map(v => JSON.stringify(v)).join(', ')})`;
    case 'normal':
      return `normal(${p.mu}, ${p.sigma})`;
    default:
      return `${p.type}(${p.low}, ${p.high})`;
  }
}

function SweepSections(props: { sweep: Sweep; trials: SweepTrialsModel; actions: ISearchActions; host: IDetailHost }): JSX.Element {
  const { sweep, host, actions } = props;
  const trials = useActiveModel(props.trials);
  const spec = sweep.spec;
  const goal = (spec.objective.goal ?? 'maximize') as Goal;
  const metric = spec.objective.metric;
  const best = sweep.best_trial;
  const counts = Object.entries(sweep.counts ?? {})
    .map(([state, n]) => `${n} ${state}`)
    .join(', ');
  const early = spec.early_termination;
  return (
    <>
      <DetailSection title={trans.__('Summary')} className="jp-mlservice-summary">
        <Facts
          rows={[
            [trans.__('Objective'), `${goal} ${metric}`],
            [
              trans.__('Best'),
              best && (
                <span className="jp-mlservice-sweep-best">
                  {trans.__('%1 (trial %2)', formatNumber(best.value), best.number)}
                </span>
              )
            ],
            [trans.__('Trials'), counts || trans.__('none yet')],
            [trans.__('Limits'), trans.__('%1 trials, %2 at once', spec.limits?.max_trials ?? '', spec.limits?.max_concurrent_trials ?? '')],
            [trans.__('Sampling'), spec.sampling ?? 'random'],
            [trans.__('Early termination'), early ? `${early.policy}` : trans.__('none')],
            [trans.__('Search space'), Object.entries(spec.search_space).map(([n, p]) => `${n}: ${searchSpaceText(p)}`).join('; ')],
            [trans.__('Created'), formatTime(sweep.job.created_at)],
            [trans.__('Duration'), formatDuration(sweep.job.duration_s)]
          ]}
        />
      </DetailSection>
      <div className="jp-mlservice-charts">
        <BestSoFarChart trials={trials.items} goal={goal} metric={metric} />
        <ParallelCoordinates trials={trials.items} space={spec.search_space} objective={metric} goal={goal} />
      </div>
      <DetailSection title={trans.__('Trials')} className="jp-mlservice-sweep-trials">
        <EntityList
          model={trials}
          label={trans.__('Trials')}
          columns={trialColumns(Object.keys(spec.search_space), metric, trials.metricNames)}
          href={t => (t.job_id ? host.linkTo(`jobs/${encodeURIComponent(t.job_id)}`) : '#')}
          onOpen={t => t.job_id && host.open(`jobs/${encodeURIComponent(t.job_id)}`)}
          itemLabel={t => trans.__('trial %1', t.number)}
          rowData={t => ({ trial: String(t.number), state: t.state })}
          empty={trans.__('No trials yet.')}
          actions={[
            {
              id: 'compare',
              label: trans.__('Compare'),
              applies: t => !!t.run_id,
              run: items => actions.compare(items.map(t => ({ run_id: t.run_id!, label: trans.__('trial %1', t.number) })))
            }
          ]}
        />
      </DetailSection>
    </>
  );
}

function paramText(value: unknown): string {
  if (value === undefined || value === null) {
    return '';
  }
  return typeof value === 'number' ? formatNumber(value) : String(value);
}

/**
 * The trials' columns: number, state (a pruned trial says why), the objective, each parameter,
 * each other metric the trials logged, duration; every one sorts.
 */
export function trialColumns(
  params: ReadonlyArray<string>,
  objective: string,
  metrics: ReadonlyArray<string>
): IColumn<SweepTrial>[] {
  return [
    { id: 'number', label: trans.__('Trial'), render: t => `#${t.number}`, sortValue: t => t.number, text: t => `#${t.number}` },
    {
      id: 'state',
      label: trans.__('State'),
      render: t => (
        <>
          <span className={statusClass(t.state)} data-state={t.state} title={t.reason ?? undefined}>
            {t.state}
          </span>
          {t.reason && <div className="jp-mlservice-trial-reason">{t.reason}</div>}
        </>
      ),
      sortValue: t => t.state,
      text: t => `${t.state} ${t.reason ?? ''}`
    },
    {
      id: 'objective',
      label: objective,
      render: t => formatNumber(t.value),
      sortValue: t => t.value,
      className: 'jp-mlservice-num jp-mlservice-objective'
    },
    ...params.map(name => ({
      id: `param:${name}`,
      label: name,
      render: (t: SweepTrial) => paramText(t.params?.[name]),
      sortValue: (t: SweepTrial) => {
        const v = t.params?.[name];
        return typeof v === 'number' ? v : v === undefined || v === null ? null : String(v);
      },
      text: (t: SweepTrial) => paramText(t.params?.[name]),
      className: 'jp-mlservice-param'
    })),
    ...metrics
      .filter(name => name !== objective)
      .map(name => ({
        id: `metric:${name}`,
        label: name,
        render: (t: SweepTrial) => formatNumber(t.metrics?.[name]),
        sortValue: (t: SweepTrial) => t.metrics?.[name],
        className: 'jp-mlservice-num'
      })),
    { id: 'duration', label: trans.__('Duration'), render: t => formatDuration(t.duration_s), sortValue: t => t.duration_s, className: 'jp-mlservice-num' }
  ];
}

/** The best-so-far chart's place while there is nothing to draw. */
function NoBestYet(props: { text: string }): JSX.Element {
  return (
    <figure className="jp-mlservice-chart jp-mlservice-best-so-far">
      <figcaption className="jp-mlservice-chart-title">{trans.__('Best so far')}</figcaption>
      <div className="jp-mlservice-empty">{props.text}</div>
    </figure>
  );
}

/** Each completed trial's objective (dots), pruned trials' last value, and the best so far (line). */
export function BestSoFarChart(props: { trials: ReadonlyArray<ChartTrial>; goal: Goal; metric: string }): JSX.Element {
  const { trials, goal, metric } = props;
  const series = React.useMemo(() => {
    const best = bestSoFar(trials, goal);
    const pruned = trials
      .filter(t => t.state === 'pruned' && typeof t.value === 'number')
      .map(t => ({ number: t.number, value: t.value as number }));
    return [
      { label: trans.__('best so far'), points: trialPoints(best.map(b => ({ number: b.number, value: b.best }))) },
      { label: metric, points: trialPoints(best), dots: true },
      ...(pruned.length > 0 ? [{ label: trans.__('pruned (last value)'), points: trialPoints(pruned), dots: true }] : [])
    ];
  }, [trials, goal, metric]);
  if (series[0].points.length === 0) {
    return <NoBestYet text={trans.__('Drawn once a trial has completed.')} />;
  }
  return (
    <div className="jp-mlservice-best-so-far" data-points={series[0].points.length}>
      <MetricChart title={trans.__('Best %1 so far (%2)', metric, goal)} series={series} xLabel={trans.__('trial')} wholeX />
    </div>
  );
}

const PC_WIDTH = 560;
const PC_HEIGHT = 200;
const PC_MARGIN = { top: 28, right: 48, bottom: 36, left: 48 };

/** A colour from the worst (blue) to the best (orange) trial, readable on both themes. */
function lineColour(q: number): string {
  return `hsl(${Math.round(215 - q * 185)}, 75%, 50%)`;
}

/** Parameters against the objective: one axis per parameter and one for the objective, a line per trial. */
export function ParallelCoordinates(props: {
  trials: ReadonlyArray<ChartTrial>;
  space: Readonly<Record<string, SearchParameter>>;
  objective: string;
  goal: Goal;
}): JSX.Element {
  const { trials, space, objective, goal } = props;
  const titleId = React.useId();
  const axes = React.useMemo(() => parallelAxes(trials, space, objective), [trials, space, objective]);
  const objectiveAxis = axes[axes.length - 1];
  const width = PC_WIDTH - PC_MARGIN.left - PC_MARGIN.right;
  const height = PC_HEIGHT - PC_MARGIN.top - PC_MARGIN.bottom;
  const step = axes.length > 1 ? width / (axes.length - 1) : 0;
  const shown = trials.filter(t => t.state !== 'pending');
  return (
    <figure className="jp-mlservice-chart jp-mlservice-parallel" data-metric={objective}>
      <figcaption className="jp-mlservice-chart-title" id={titleId}>
        {trans.__('Parameters vs %1', objective)}
      </figcaption>
      <svg
        viewBox={`0 0 ${PC_WIDTH} ${PC_HEIGHT}`}
        role="img"
        aria-labelledby={titleId}
        className="jp-mlservice-parallel-plot"
        preserveAspectRatio="xMidYMid meet"
      >
        <g transform={`translate(${PC_MARGIN.left}, ${PC_MARGIN.top})`}>
          {shown.map(t => {
            const points = trialLine(t, axes, width, height);
            const completed = t.state === 'completed' && typeof t.value === 'number';
            return (
              <polyline
                key={t.number}
                className={`jp-mlservice-parallel-line jp-mlservice-trial-${t.state}`}
                data-trial={t.number}
                points={points.map(p => `${p.x},${p.y}`).join(' ')}
                fill="none"
                stroke={completed ? lineColour(quality(t.value as number, objectiveAxis, goal)) : undefined}
              >
                <title>
                  {trans.__('trial %1 (%2): %3', t.number, t.state, formatNumber(t.value))}
                </title>
              </polyline>
            );
          })}
          {axes.map((axis, i) => (
            <Axis key={axis.name + i} axis={axis} x={i * step} height={height} objective={i === axes.length - 1} />
          ))}
        </g>
      </svg>
    </figure>
  );
}

function Axis(props: { axis: IAxis; x: number; height: number; objective: boolean }): JSX.Element {
  const { axis, x, height } = props;
  return (
    <g className={`jp-mlservice-parallel-axis${props.objective ? ' jp-mlservice-parallel-objective' : ''}`} transform={`translate(${x}, 0)`}>
      <line x1={0} x2={0} y1={0} y2={height} />
      <text className="jp-mlservice-parallel-name" y={-10} textAnchor="middle">
        {axis.name}
        {axis.scale === 'log' ? ' (log)' : ''}
      </text>
      {axis.ticks.map(tick => (
        <text key={tick.label + tick.at} className="jp-mlservice-parallel-tick" x={5} y={height - tick.at * height + 4}>
          {tick.label}
        </text>
      ))}
    </g>
  );
}

function AutoMLSections(props: { run: AutoMLRun; curve: SearchDetailModel['bestCurve']; host: IDetailHost }): JSX.Element {
  const { run, curve, host } = props;
  const spec = run.spec;
  const leaderboard = run.leaderboard ?? [];
  const importance = Object.entries(run.feature_importance ?? {}).sort((a, b) => b[1] - a[1]);
  const top = importance.length > 0 ? Math.max(...importance.map(([, v]) => Math.abs(v)), 1e-12) : 1;
  const data = typeof spec.data === 'string' ? spec.data : `${spec.data.url} ${spec.data.sql ?? spec.data.table ?? ''}`;
  return (
    <>
      <DetailSection title={trans.__('Summary')} className="jp-mlservice-summary">
        <Facts
          rows={[
            [trans.__('Task'), spec.task],
            [trans.__('Primary metric'), spec.primary_metric ?? ''],
            [trans.__('Best'), run.best_model && trans.__('%1 (%2)', formatNumber(run.best_score), run.best_model.model)],
            [trans.__('Trials'), String(run.trials)],
            [trans.__('Data'), trans.__('%1 (%2 rows, %3 columns); target column %4', data, run.rows, run.columns, spec.target_column)],
            [
              trans.__('Time budget'),
              spec.time_budget_s
                ? formatDuration(spec.time_budget_s)
                : trans.__('%1 (suggested from the data size)', formatDuration(run.suggested_time_budget_s))
            ],
            [trans.__('Final model'), run.best_model_job_id && (
              <StudioLink host={host} path={`jobs/${encodeURIComponent(run.best_model_job_id)}`}>
                {trans.__('job %1, at "model"', run.best_model_job_id)}
              </StudioLink>
            )]
          ]}
        />
      </DetailSection>
      <div className="jp-mlservice-charts">
        {curve && curve.points.length > 0 ? (
          <div className="jp-mlservice-best-so-far" data-points={curve.points.length}>
            <MetricChart title={trans.__('Best %1 so far', spec.primary_metric ?? '')} series={[{ label: curve.metric, points: curve.points }]} xLabel={trans.__('search time (s)')} />
          </div>
        ) : (
          <NoBestYet text={trans.__('Drawn once the searches have ended.')} />
        )}
      </div>
      <DetailSection title={trans.__('Leaderboard')} className="jp-mlservice-leaderboard">
        {leaderboard.length === 0 ? (
          <div className="jp-mlservice-empty">{trans.__('Ready once the searches have ended.')}</div>
        ) : (
          <table className="jp-mlservice-table" aria-label={trans.__('Leaderboard')}>
            <thead>
              <tr>
                <th scope="col">{trans.__('Rank')}</th>
                <th scope="col">{trans.__('Model')}</th>
                <th scope="col" className="jp-mlservice-num">{spec.primary_metric}</th>
                <th scope="col" className="jp-mlservice-num">{trans.__('Train time')}</th>
                <th scope="col">{trans.__('Settings')}</th>
              </tr>
            </thead>
            <tbody>
              {leaderboard.map(entry => (
                <tr key={`${entry.rank}-${entry.model}`} data-model={entry.model} className={entry.model === run.best_model?.model ? 'jp-mod-selected' : ''}>
                  <td>{entry.rank}</td>
                  <td>{entry.model}</td>
                  <td className="jp-mlservice-num">{formatNumber(entry.score)}</td>
                  <td className="jp-mlservice-num">{formatDuration(entry.train_time_s)}</td>
                  <td className="jp-mlservice-leaderboard-params">
                    {entry.members
                      ? Object.entries(entry.members).map(([m, w]) => `${m} ×${formatNumber(w)}`).join(', ')
                      : Object.entries(entry.params ?? {}).map(([k, v]) => `${k}=${paramText(v)}`).join(', ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </DetailSection>
      <DetailSection title={trans.__('Feature importance')} className="jp-mlservice-importance">
        {importance.length === 0 ? (
          <div className="jp-mlservice-empty">{trans.__('Computed on the final model (permutation importance).')}</div>
        ) : (
          <table className="jp-mlservice-kv" aria-label={trans.__('Feature importance')}>
            <tbody>
              {importance.slice(0, 25).map(([name, value]) => (
                <tr key={name} data-feature={name}>
                  <th scope="row">{name}</th>
                  <td>
                    <span className="jp-mlservice-bar" style={{ width: `${Math.round((Math.max(value, 0) / top) * 100)}%` }} />
                    <span className="jp-mlservice-bar-value">{formatNumber(value)}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </DetailSection>
    </>
  );
}
