import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { PipelineEdge, PipelineRun, PipelineStepView } from '../../api/client';
import { JOB_STATUSES, isJobEnded } from '../../api/statuses';
import { DetailFrame, DetailSection, Facts, IDetailAction, IDetailHost, StudioLink } from '../../components/DetailFrame';
import type { IColumn } from '../../components/EntityList';
import { formatDuration, formatTime, statusClass } from '../../components/format';
import { useActiveModel, useModel } from '../../components/useModel';
import { trans } from '../../translate';
import { ExperimentLink } from '../jobs/view';
import { IGraphLayout, IGraphNode, layoutGraph } from './layout';
import { PipelineFileModel, PipelineRunModel, isCancelable, runName, stepCounts, stepJob } from './model';

/** The list's columns: name, status, steps done of all, reused, experiment, created, duration. */
export function pipelineColumns(): IColumn<PipelineRun>[] {
  return [
    {
      id: 'name',
      label: trans.__('Name'),
      render: run => (
        <>
          {runName(run)}
          {run.rerun_of && (
            <span className="jp-mlservice-chip jp-mlservice-pipeline-rerun-chip" title={trans.__('A rerun of %1', run.rerun_of)}>
              {trans.__('rerun')}
            </span>
          )}
        </>
      ),
      sortValue: runName,
      text: run => `${runName(run)} ${run.id}${run.rerun_of ? ` ${trans.__('rerun')}` : ''}`
    },
    {
      id: 'status',
      label: trans.__('Status'),
      render: run => (
        <span className={statusClass(run.status)} data-status={run.status}>
          {run.status}
        </span>
      ),
      sortValue: run => JOB_STATUSES.indexOf(run.status as any),
      text: run => run.status
    },
    {
      id: 'steps',
      label: trans.__('Steps'),
      render: run => {
        const c = stepCounts(run.steps);
        return trans.__('%1 of %2', c.done, c.total);
      },
      sortValue: run => stepCounts(run.steps).done,
      className: 'jp-mlservice-num'
    },
    { id: 'reused', label: trans.__('Reused'), render: run => String(stepCounts(run.steps).reused), sortValue: run => stepCounts(run.steps).reused, className: 'jp-mlservice-num' },
    { id: 'experiment', label: trans.__('Experiment'), render: run => run.experiment, sortValue: run => run.experiment, text: run => run.experiment },
    { id: 'created', label: trans.__('Created'), render: run => formatTime(run.created_at), sortValue: run => run.created_at },
    { id: 'duration', label: trans.__('Duration'), render: run => formatDuration(run.job?.duration_s), sortValue: run => run.job?.duration_s, className: 'jp-mlservice-num' }
  ];
}

/** How a step's state reads. */
export function stepStateLabel(status: string): string {
  const labels: Record<string, string> = {
    pending: trans.__('pending'),
    running: trans.__('running'),
    completed: trans.__('completed'),
    reused: trans.__('reused'),
    failed: trans.__('failed'),
    canceled: trans.__('canceled'),
    skipped: trans.__('skipped')
  };
  return labels[status] ?? status;
}

function shortId(id: string): string {
  return id.length > 12 ? id.slice(0, 8) : id;
}

/** "[status] · target", under a step's name. */
function nodeLine(step: PipelineStepView, withStatus: boolean): string {
  const parts = [withStatus ? stepStateLabel(step.status ?? 'pending') : '', step.kind, step.target].filter(Boolean);
  return parts.join(' · ');
}

/**
 * A pipeline's DAG in SVG: columns of nodes left to right, edges labelled with the ports they
 * carry. Step nodes are focusable buttons: focus (or the pointer) selects one, Enter or a click
 * opens it (`onOpen`); arrow keys move to the next node up, down, left or right.
 */
export function PipelineGraphDrawing(props: {
  steps: ReadonlyArray<PipelineStepView>;
  edges: ReadonlyArray<PipelineEdge>;
  /** Whether nodes show statuses (a run) or not (a file). */
  withStatus: boolean;
  label: string;
  selected: string | null;
  onSelect: (step: string) => void;
  onOpen?: (step: PipelineStepView) => void;
}): JSX.Element {
  const { steps, edges, withStatus, selected, onSelect, onOpen } = props;
  const layout: IGraphLayout = React.useMemo(() => layoutGraph(steps, edges), [steps, edges]);
  const rawId = React.useId();
  const markerId = `jp-mlservice-arrow-${rawId.replace(/[^A-Za-z0-9_-]/g, '')}`;
  const refs = React.useRef(new Map<string, SVGGElement>());
  const stepNodes = layout.nodes.filter(n => n.kind === 'step').sort((a, b) => a.level - b.level || a.order - b.order);

  const move = (from: IGraphNode, key: string): IGraphNode | undefined => {
    if (key === 'ArrowDown' || key === 'ArrowUp') {
      const column = stepNodes.filter(n => n.level === from.level);
      const i = column.indexOf(from) + (key === 'ArrowDown' ? 1 : -1);
      return column[i];
    }
    const levels = [...new Set(stepNodes.map(n => n.level))].sort((a, b) => a - b);
    const next = levels[levels.indexOf(from.level) + (key === 'ArrowRight' ? 1 : -1)];
    const column = stepNodes.filter(n => n.level === next);
    return column[Math.min(from.order, column.length - 1)] ?? column[0];
  };

  return (
    <div className="jp-mlservice-pipeline-graph-scroll">
      <svg
        className="jp-mlservice-pipeline-graph"
        width={layout.width}
        height={layout.height}
        viewBox={`0 0 ${layout.width} ${layout.height}`}
        role="group"
        aria-label={props.label}
      >
        <defs>
          <marker id={markerId} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" className="jp-mlservice-pipeline-arrow" />
          </marker>
        </defs>
        <g aria-hidden="true">
          {layout.edges.map(e => (
            <g key={`${e.from}-${e.to}`} className="jp-mlservice-pipeline-edge" data-from={e.from} data-to={e.to}>
              <path d={e.path} fill="none" markerEnd={`url(#${markerId})`} />
              {e.label && (
                <text x={e.labelAt.x} y={e.labelAt.y - 4} textAnchor="middle" className="jp-mlservice-pipeline-edge-label">
                  {e.label}
                </text>
              )}
            </g>
          ))}
        </g>
        {layout.nodes
          .filter(n => n.kind !== 'step')
          .map(n => (
            <g
              key={n.id}
              className={`jp-mlservice-pipeline-port jp-mlservice-pipeline-port-${n.kind}`}
              data-port={n.name}
              transform={`translate(${n.x}, ${n.y})`}
            >
              <title>{n.kind === 'input' ? trans.__('pipeline input %1', n.name) : trans.__('pipeline output %1', n.name)}</title>
              <rect width={n.width} height={n.height} rx={n.height / 2} />
              <text x={n.width / 2} y={n.height / 2 + 4} textAnchor="middle">
                {n.name}
              </text>
            </g>
          ))}
        {stepNodes.map(n => {
          const step = n.step!;
          const status = withStatus ? (step.status ?? 'pending') : 'planned';
          const reused = withStatus && status === 'reused' && step.reused_from;
          const job = stepJob(step);
          const name = step.display_name || step.name;
          const label = withStatus
            ? trans.__('Step %1: %2.', name, stepStateLabel(status)) +
              (reused ? ' ' + trans.__('Reused from job %1.', step.reused_from) : '') +
              (job && onOpen ? ' ' + trans.__('Enter opens its job.') : '')
            : trans.__('Step %1 (%2 on %3).', name, step.kind, step.target);
          return (
            <g
              key={n.id}
              ref={el => {
                if (el) {
                  refs.current.set(n.id, el);
                } else {
                  refs.current.delete(n.id);
                }
              }}
              className={`jp-mlservice-pipeline-node jp-mlservice-pipeline-node-${status}${selected === step.name ? ' jp-mod-selected' : ''}`}
              data-step={step.name}
              data-status={status}
              data-job-id={job ?? ''}
              transform={`translate(${n.x}, ${n.y})`}
              role="button"
              tabIndex={0}
              aria-label={label}
              aria-pressed={selected === step.name}
              onFocus={() => onSelect(step.name)}
              onMouseEnter={() => onSelect(step.name)}
              onClick={() => {
                onSelect(step.name);
                if (onOpen && job) {
                  onOpen(step);
                }
              }}
              onKeyDown={event => {
                if (event.key === 'Enter' || event.key === ' ') {
                  event.preventDefault();
                  onSelect(step.name);
                  if (onOpen && job) {
                    onOpen(step);
                  }
                } else if (event.key.startsWith('Arrow')) {
                  const next = move(n, event.key);
                  if (next) {
                    event.preventDefault();
                    refs.current.get(next.id)?.focus();
                  }
                }
              }}
            >
              <title>{label}</title>
              <rect className="jp-mlservice-pipeline-node-box" width={n.width} height={n.height} rx={6} />
              <rect className="jp-mlservice-pipeline-node-bar" width={6} height={n.height} rx={3} />
              <text x={14} y={20} className="jp-mlservice-pipeline-node-name">
                {name.length > 20 ? `${name.slice(0, 19)}…` : name}
              </text>
              <text x={14} y={38} className="jp-mlservice-pipeline-node-line">
                {nodeLine(step, withStatus)}
              </text>
              {reused && (
                <text x={14} y={54} className="jp-mlservice-pipeline-node-reused-from">
                  {trans.__('reused from job %1', shortId(step.reused_from!))}
                </text>
              )}
            </g>
          );
        })}
      </svg>
    </div>
  );
}

function valueText(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The ports of a step, one `name: value` a line. */
function Ports(props: { ports: Record<string, unknown> | undefined; label: string }): JSX.Element | null {
  const entries = Object.entries(props.ports ?? {});
  if (entries.length === 0) {
    return null;
  }
  return (
    <ul className="jp-mlservice-pipeline-ports" aria-label={props.label}>
      {entries.map(([name, value]) => (
        <li key={name}>
          <code>{name}</code>: {valueText(value)}
        </li>
      ))}
    </ul>
  );
}

/** One step: its state, job, why it ran (or was reused), its ports, and what can be done with it. */
export function StepPanel(props: {
  step: PipelineStepView;
  withStatus: boolean;
  host?: Pick<IDetailHost, 'open' | 'linkTo'>;
  /** Rerun the run from this step (absent: the file view). */
  onRerun?: (step: string) => void;
  rerunDisabled?: string | null;
}): JSX.Element {
  const { step, withStatus, host, onRerun } = props;
  const job = step.job_id;
  const status = step.status ?? 'pending';
  const duration =
    step.started_at && step.ended_at ? (Date.parse(step.ended_at) - Date.parse(step.started_at)) / 1000 : null;
  const jobLink = (id: string) =>
    host ? (
      <StudioLink host={host} path={`jobs/${encodeURIComponent(id)}`} className="jp-mlservice-pipeline-step-job">
        {trans.__('job %1', id)}
      </StudioLink>
    ) : (
      id
    );
  const rows: [string, React.ReactNode][] = [
    ...(withStatus
      ? ([[trans.__('Status'), <span className={statusClass(status)}>{stepStateLabel(status)}</span>]] as [string, React.ReactNode][])
      : []),
    [trans.__('Kind'), step.component ? `${step.kind} (${step.component})` : step.kind],
    [trans.__('Target'), step.target],
    [trans.__('Job'), job ? jobLink(job) : ''],
    [trans.__('Reused from'), step.reused_from ? jobLink(step.reused_from) : ''],
    [
      step.reused_from ? trans.__('Why reused') : trans.__('Why it ran'),
      step.why ? <span className="jp-mlservice-pipeline-why">{step.why}</span> : ''
    ],
    [trans.__('Error'), step.error ? <span className="jp-mlservice-error">{step.error}</span> : ''],
    [trans.__('Inputs'), Object.keys(step.inputs ?? {}).length ? <Ports ports={step.inputs} label={trans.__('Inputs')} /> : ''],
    [trans.__('Outputs'), Object.keys(step.outputs ?? {}).length ? <Ports ports={step.outputs} label={trans.__('Outputs')} /> : ''],
    [trans.__('Depends on'), (step.depends_on ?? []).join(', ')],
    ...(withStatus
      ? ([
          [trans.__('Started'), step.started_at ? formatTime(step.started_at) : ''],
          [trans.__('Duration'), duration !== null ? formatDuration(duration) : '']
        ] as [string, React.ReactNode][])
      : [])
  ];
  return (
    <DetailSection
      title={trans.__('Step %1', step.display_name || step.name)}
      className="jp-mlservice-pipeline-step"
      actions={
        onRerun && (
          <Button
            small
            className="jp-mlservice-pipeline-rerun-step"
            onClick={() => onRerun(step.name)}
            disabled={!!props.rerunDisabled}
            title={props.rerunDisabled ?? trans.__('A new run: this step and everything downstream run again, what is upstream is reused')}
          >
            {trans.__('Rerun from here')}
          </Button>
        )
      }
    >
      <div data-step={step.name} data-status={withStatus ? status : 'planned'} className="jp-mlservice-pipeline-step-facts">
        <Facts
          rows={rows.filter(([, v]) => v !== '' && v !== null && v !== undefined)}
        />
      </div>
    </DetailSection>
  );
}

/** What a run's view asks the application to do (the area binds them to commands). */
export interface IPipelineActions {
  cancel: (model: PipelineRunModel) => void;
  /** A new run of this one; `step` and what is downstream run again (null: every step). */
  rerun: (model: PipelineRunModel, step: string | null) => void;
}

/** The step shown in the panel: the one chosen, else the first failed, running, or listed. */
export function shownStep(steps: ReadonlyArray<PipelineStepView>, chosen: string | null): PipelineStepView | null {
  return (
    steps.find(s => s.name === chosen) ??
    steps.find(s => s.status === 'failed') ??
    steps.find(s => s.status === 'running') ??
    steps[0] ??
    null
  );
}

/** A pipeline run: its graph (live), the chosen step's panel, its inputs and outputs. */
export function PipelineRunView(props: { model: PipelineRunModel; actions: IPipelineActions; host: IDetailHost }): JSX.Element {
  const model = useModel(props.model);
  const { actions, host } = props;
  const run = model.run;
  const [chosen, setChosen] = React.useState<string | null>(null);
  const buttons: IDetailAction[] = [];
  if (run && isCancelable(run)) {
    buttons.push({ label: trans.__('Cancel'), onClick: () => actions.cancel(model), className: 'jp-mlservice-pipeline-cancel' });
  }
  if (run && isJobEnded(run.status)) {
    buttons.push({
      label: trans.__('Rerun'),
      title: trans.__('A new run of every step, reusing nothing'),
      onClick: () => actions.rerun(model, null),
      className: 'jp-mlservice-pipeline-rerun'
    });
  }
  const step = run ? shownStep(run.steps, chosen) : null;
  const counts = run ? stepCounts(run.steps) : null;
  return (
    <DetailFrame
      host={host}
      kind={trans.__('Pipeline run')}
      title={run ? runName(run) : model.id}
      status={run?.status}
      actions={buttons}
      model={model}
      className="jp-mlservice-pipeline-view"
      data={{ 'pipeline-id': model.id, status: run?.status ?? '' }}
      meta={
        run && (
          <>
            <StudioLink host={host} path={`jobs/${encodeURIComponent(run.id)}`} title={trans.__('The parent job: its log and run')}>
              {trans.__('job %1', shortId(run.id))}
            </StudioLink>
            <ExperimentLink host={host} job={run.job} />
            {run.rerun_of && (
              <StudioLink host={host} path={`pipelines/${encodeURIComponent(run.rerun_of)}`} title={trans.__('The run this one reran')}>
                {trans.__('rerun of %1', shortId(run.rerun_of))}
              </StudioLink>
            )}
          </>
        )
      }
    >
      {run?.error && <div className="jp-mlservice-error jp-mlservice-pipeline-error">{run.error}</div>}
      {run && (
        <>
          <DetailSection title={trans.__('Graph')} className="jp-mlservice-pipeline-graph-section">
            <p className="jp-mlservice-pipeline-summary">
              {trans.__('%1 of %2 steps done, %3 reused.', counts!.done, counts!.total, counts!.reused)}{' '}
              <span className="jp-mlservice-pipeline-hint">{trans.__('Click a step (or Enter) to open its job.')}</span>
            </p>
            <div className="jp-mlservice-pipeline-body">
              <PipelineGraphDrawing
                steps={run.steps}
                edges={run.edges}
                withStatus
                label={trans.__('Steps of pipeline %1', runName(run))}
                selected={step?.name ?? null}
                onSelect={setChosen}
                onOpen={s => {
                  const job = stepJob(s);
                  if (job) {
                    host.open(`jobs/${encodeURIComponent(job)}`);
                  }
                }}
              />
              {step && (
                <StepPanel
                  step={step}
                  withStatus
                  host={host}
                  onRerun={name => actions.rerun(model, name)}
                  rerunDisabled={isJobEnded(run.status) ? null : trans.__('The run has not ended yet')}
                />
              )}
            </div>
          </DetailSection>
          <DetailSection title={trans.__('Summary')} className="jp-mlservice-summary">
            <Facts
              rows={[
                [trans.__('Pipeline'), run.name],
                [trans.__('Inputs'), <Ports ports={run.inputs} label={trans.__('Inputs')} />],
                [trans.__('Outputs'), <Ports ports={run.outputs} label={trans.__('Outputs')} />],
                [trans.__('Created'), formatTime(run.created_at)],
                [trans.__('Duration'), formatDuration(run.job?.duration_s)]
              ]}
            />
          </DetailSection>
        </>
      )}
    </DetailFrame>
  );
}

/** A *.pipeline.yaml file's graph (read-only): what the server found wrong instead, if anything. */
export function PipelineFileView(props: { model: PipelineFileModel; onRefresh: () => void }): JSX.Element {
  const model = useActiveModel(props.model);
  const graph = model.graph;
  const [chosen, setChosen] = React.useState<string | null>(null);
  const step = graph ? shownStep(graph.steps, chosen) : null;
  return (
    <div className="jp-mlservice-pipeline-file" data-path={model.path} data-state={model.problem ? 'invalid' : graph ? 'drawn' : 'loading'}>
      <div className="jp-mlservice-pipeline-file-header">
        <h2>{graph ? trans.__('Pipeline %1', graph.name) : model.path}</h2>
        <span className="jp-mlservice-pipeline-file-path">{model.path}</span>
        <Button small className="jp-mlservice-pipeline-file-refresh" onClick={props.onRefresh}>
          {trans.__('Refresh')}
        </Button>
      </div>
      {model.loading && <div className="jp-mlservice-empty">{trans.__('Loading…')}</div>}
      {model.problem && (
        <div className="jp-mlservice-error jp-mlservice-pipeline-problem" role="alert">
          {model.problem}
        </div>
      )}
      {model.error && <div className="jp-mlservice-error" role="alert">{model.error}</div>}
      {graph && (
        <div className="jp-mlservice-pipeline-body">
          <PipelineGraphDrawing
            steps={graph.steps}
            edges={graph.edges}
            withStatus={false}
            label={trans.__('Steps of pipeline %1', graph.name)}
            selected={step?.name ?? null}
            onSelect={setChosen}
          />
          {step && <StepPanel step={step} withStatus={false} />}
        </div>
      )}
    </div>
  );
}
