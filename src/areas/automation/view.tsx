import * as React from 'react';

import type { Rollout, Trigger, TriggerFiring } from '../../api/client';
import { DetailFrame, DetailSection, Facts, IDetailHost, StudioLink } from '../../components/DetailFrame';
import { EntityList, IColumn, IListAction } from '../../components/EntityList';
import { formatTime, statusClass } from '../../components/format';
import { useModel } from '../../components/useModel';
import type { IPageHost } from '../../studio/registry';
import { trans } from '../../translate';
import {
  IPhaseFigures,
  IStage,
  canAbort,
  canApprove,
  causeText,
  firingLabel,
  formatMs,
  formatRate,
  isActive,
  lastCause,
  phaseFigures,
  rolloutStages,
  trafficSplit,
  watching
} from './forms';
import { RolloutDetailModel, RolloutsModel, TriggerDetailModel, TriggersModel } from './model';

/** The studio paths of the area's entities. */
export const triggerPath = (name: string): string => `automation/triggers/${encodeURIComponent(name)}`;
export const rolloutPath = (id: string): string => `automation/rollouts/${encodeURIComponent(id)}`;

/** A `name:version` model reference's studio path. */
function modelVersionPath(ref: string): string | null {
  const at = ref.lastIndexOf(':');
  return at > 0 ? `models/${encodeURIComponent(ref.slice(0, at))}/${encodeURIComponent(ref.slice(at + 1))}` : null;
}

function StateBadge(props: { state: string; className?: string }): JSX.Element {
  return (
    <span className={`${statusClass(props.state)}${props.className ? ` ${props.className}` : ''}`} data-state={props.state} data-status={props.state}>
      {props.state}
    </span>
  );
}

function Watching(props: { trigger: Trigger }): JSX.Element {
  const { kind, what } = watching(props.trigger);
  return (
    <span className="jp-mlservice-trigger-watching" data-kind={props.trigger.kind}>
      <span className="jp-mlservice-chip">{kind}</span> {what}
    </span>
  );
}

function EnabledChip(props: { enabled: boolean }): JSX.Element {
  return (
    <span className={`jp-mlservice-chip jp-mlservice-trigger-state${props.enabled ? ' jp-mlservice-trigger-enabled' : ''}`}>
      {props.enabled ? trans.__('Enabled') : trans.__('Disabled')}
    </span>
  );
}

/** The Triggers list's columns: what each watches, its state, when and why it last fired, how often. */
export function triggerColumns(): IColumn<Trigger>[] {
  return [
    { id: 'name', label: trans.__('Name'), render: t => t.name, sortValue: t => t.name, text: t => `${t.name} ${t.description}` },
    {
      id: 'watching',
      label: trans.__('Watching'),
      render: t => <Watching trigger={t} />,
      sortValue: t => t.kind,
      text: t => `${t.kind} ${watching(t).what}`
    },
    { id: 'enabled', label: trans.__('State'), render: t => <EnabledChip enabled={t.enabled} />, sortValue: t => (t.enabled ? 0 : 1) },
    { id: 'last', label: trans.__('Last fired'), render: t => formatTime(t.last_fired_at), sortValue: t => t.last_fired_at ?? '' },
    {
      id: 'cause',
      label: trans.__('Last cause'),
      render: t => <span className="jp-mlservice-trigger-cause">{lastCause(t)}</span>,
      text: t => lastCause(t)
    },
    { id: 'firings', label: trans.__('Firings'), render: t => String(t.firings), sortValue: t => t.firings, className: 'jp-mlservice-num' }
  ];
}

/** The Rollouts list's columns. */
export function rolloutColumns(): IColumn<Rollout>[] {
  return [
    { id: 'endpoint', label: trans.__('Endpoint'), render: r => r.endpoint, sortValue: r => r.endpoint, text: r => `${r.endpoint} ${r.id}` },
    {
      id: 'deployments',
      label: trans.__('Baseline → candidate'),
      render: r => (
        <span className="jp-mlservice-rollout-deployments">
          {r.baseline} → {r.candidate}
        </span>
      ),
      text: r => `${r.baseline} ${r.candidate}`
    },
    { id: 'model', label: trans.__('Model'), render: r => r.model, sortValue: r => r.model, text: r => r.model },
    {
      id: 'state',
      label: trans.__('State'),
      render: r => <StateBadge state={r.state} />,
      sortValue: r => (isActive(r) ? `0${r.state}` : `1${r.state}`),
      text: r => r.state
    },
    {
      id: 'traffic',
      label: trans.__('Traffic'),
      render: r => <span data-traffic={r.traffic_percent}>{`${r.traffic_percent}%`}</span>,
      sortValue: r => r.traffic_percent,
      className: 'jp-mlservice-num'
    },
    { id: 'started', label: trans.__('Started'), render: r => formatTime(r.created_at), sortValue: r => r.created_at }
  ];
}

/** What the area's page and views ask the application to do (the area binds these to commands). */
export interface IAutomationActions {
  setEnabled: (names: string[], enabled: boolean) => void;
  fire: (names: string[]) => void;
  removeTriggers: (names: string[]) => void;
  approve: (id: string) => void;
  abort: (ids: string[]) => void;
}

type Tab = 'triggers' | 'rollouts';

/** The Automation page: triggers and rollouts, each a list in a tab of its own (`automation/rollouts`). */
export function AutomationPage(props: {
  triggers: TriggersModel;
  rollouts: RolloutsModel;
  actions: IAutomationActions;
  host: IPageHost;
  path: ReadonlyArray<string>;
  caption?: string;
}): JSX.Element {
  const { triggers, rollouts, actions, host } = props;
  const tab: Tab = props.path[0] === 'rollouts' ? 'rollouts' : 'triggers';
  const tabs: [Tab, string][] = [
    ['triggers', trans.__('Triggers')],
    ['rollouts', trans.__('Rollouts')]
  ];
  const names = (items: Trigger[]) => items.map(t => t.name);
  const triggerActions: IListAction<Trigger>[] = [
    { id: 'enable', label: trans.__('Enable'), applies: t => !t.enabled, run: items => actions.setEnabled(names(items), true) },
    { id: 'disable', label: trans.__('Disable'), applies: t => t.enabled, run: items => actions.setEnabled(names(items), false) },
    { id: 'fire', label: trans.__('Fire now'), run: items => actions.fire(names(items)) },
    { id: 'delete', label: trans.__('Delete'), run: items => actions.removeTriggers(names(items)) }
  ];
  const rolloutActions: IListAction<Rollout>[] = [
    { id: 'approve', label: trans.__('Approve'), applies: canApprove, run: items => items.filter(canApprove).forEach(r => actions.approve(r.id)) },
    { id: 'abort', label: trans.__('Abort'), applies: canAbort, run: items => actions.abort(items.filter(canAbort).map(r => r.id)) }
  ];
  const onTabKey = (event: React.KeyboardEvent) => {
    if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
      event.preventDefault();
      host.open(`automation/${tab === 'triggers' ? 'rollouts' : 'triggers'}`);
    }
  };
  return (
    <div className="jp-mlservice-area jp-mlservice-area-automation" data-area="automation" data-tab={tab}>
      <header className="jp-mlservice-area-header">
        <h2>{trans.__('Automation')}</h2>
        {props.caption && <p className="jp-mlservice-area-caption">{props.caption}</p>}
      </header>
      <div className="jp-mlservice-tabs" role="tablist" aria-label={trans.__('Automation')} onKeyDown={onTabKey}>
        {tabs.map(([id, label]) => (
          <a
            key={id}
            role="tab"
            id={`jp-mlservice-automation-tab-${id}`}
            className={`jp-mlservice-tab${tab === id ? ' jp-mod-current' : ''}`}
            data-tab={id}
            aria-selected={tab === id}
            aria-controls="jp-mlservice-automation-panel"
            tabIndex={tab === id ? 0 : -1}
            href={host.link(`automation/${id}`)}
            onClick={e => {
              if (e.button === 0 && !e.ctrlKey && !e.metaKey) {
                e.preventDefault();
                host.open(`automation/${id}`);
              }
            }}
          >
            {label}
          </a>
        ))}
      </div>
      <div role="tabpanel" id="jp-mlservice-automation-panel" aria-labelledby={`jp-mlservice-automation-tab-${tab}`}>
        {tab === 'triggers' ? (
          <EntityList
            key="triggers"
            model={triggers}
            label={trans.__('Triggers')}
            columns={triggerColumns()}
            actions={triggerActions}
            itemLabel={t => t.name}
            rowData={t => ({ trigger: t.name, enabled: String(t.enabled), kind: t.kind })}
            empty={trans.__('No triggers. Create one with ml.triggers.create(...) or `mlservice trigger create`.')}
            href={t => host.link(triggerPath(t.name))}
            onOpen={t => host.open(triggerPath(t.name))}
          />
        ) : (
          <EntityList
            key="rollouts"
            model={rollouts}
            label={trans.__('Rollouts')}
            columns={rolloutColumns()}
            actions={rolloutActions}
            itemLabel={r => `${r.endpoint} ${r.id}`}
            rowData={r => ({ rollout: r.id, endpoint: r.endpoint, state: r.state })}
            empty={trans.__('No rollouts. Start one with ml.rollouts.start(...) or `mlservice rollout start`.')}
            href={r => host.link(rolloutPath(r.id))}
            onOpen={r => host.open(rolloutPath(r.id))}
          />
        )}
      </div>
    </div>
  );
}

/** What a firing started: its job or its rollout (a link to its view), or that it started nothing. */
function FiringJob(props: { firing: TriggerFiring; host: Pick<IDetailHost, 'open' | 'linkTo'> }): JSX.Element {
  const { firing, host } = props;
  if (firing.rollout_id) {
    return (
      <StudioLink host={host} path={rolloutPath(firing.rollout_id)} className="jp-mlservice-firing-rollout" title={trans.__('Open rollout %1', firing.rollout_id)}>
        {trans.__('rollout %1', firing.rollout_id)}
      </StudioLink>
    );
  }
  return firing.job_id ? (
    <StudioLink host={host} path={`jobs/${encodeURIComponent(firing.job_id)}`} className="jp-mlservice-firing-job" title={trans.__('Open job %1', firing.job_id)}>
      {firing.job_id}
    </StudioLink>
  ) : (
    <span className="jp-mlservice-firing-no-job">{trans.__('no job')}</span>
  );
}

/** A trigger's firings, newest first: when, the cause, the outcome, the job, why it failed. */
export function FiringsTable(props: { firings: ReadonlyArray<TriggerFiring>; host: Pick<IDetailHost, 'open' | 'linkTo'> }): JSX.Element {
  if (props.firings.length === 0) {
    return <div className="jp-mlservice-empty">{trans.__('It has not fired yet.')}</div>;
  }
  return (
    <table className="jp-mlservice-table jp-mlservice-firings" aria-label={trans.__('Firings')}>
      <thead>
        <tr>
          <th scope="col">{trans.__('Fired')}</th>
          <th scope="col">{trans.__('Cause')}</th>
          <th scope="col">{trans.__('State')}</th>
          <th scope="col">{trans.__('Started')}</th>
          <th scope="col">{trans.__('Reason')}</th>
        </tr>
      </thead>
      <tbody>
        {props.firings.map(firing => (
          <tr
            key={firing.id}
            className="jp-mlservice-firing"
            data-firing-id={firing.id}
            data-job-id={firing.job_id ?? ''}
            data-rollout={firing.rollout_id ?? ''}
            data-state={firing.state}
          >
            <td>{formatTime(firing.created_at)}</td>
            <td className="jp-mlservice-firing-cause">{causeText(firing.cause)}</td>
            <td>
              <StateBadge state={firingLabel(firing)} />
            </td>
            <td>
              <FiringJob firing={firing} host={props.host} />
            </td>
            <td className="jp-mlservice-firing-reason">{firing.reason ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** What a trigger runs, in a line: a job's kind and command, notebook or source; a pipeline; a rollout. */
export function jobSummary(run: Record<string, unknown>): string {
  if (run.rollout && typeof run.rollout === 'object') {
    const rollout = run.rollout as Record<string, unknown>;
    return trans.__('rollout: %1 to endpoint %2', String(rollout.model ?? ''), String(rollout.endpoint ?? ''));
  }
  if (run.pipeline) {
    const pipeline = run.pipeline as Record<string, unknown> | string;
    return trans.__('pipeline: %1', typeof pipeline === 'string' ? pipeline : String(pipeline.name ?? pipeline.path ?? ''));
  }
  const what = run.command ?? run.notebook ?? (typeof run.source === 'string' ? run.source.trim().split('\n')[0] : '');
  return [String(run.kind ?? ''), String(what ?? '')].filter(Boolean).join(': ');
}

/** A trigger: what it watches, its job, and its firings (each with its job); Fire now, Enable/Disable, Delete. */
export function TriggerView(props: { model: TriggerDetailModel; actions: IAutomationActions; host: IDetailHost }): JSX.Element {
  const model = useModel(props.model);
  const { actions, host } = props;
  const trigger = model.trigger;
  const name = model.name;
  return (
    <DetailFrame
      host={host}
      kind={trans.__('Trigger')}
      title={name}
      status={trigger ? (trigger.enabled ? trans.__('Enabled') : trans.__('Disabled')) : null}
      className="jp-mlservice-trigger-view"
      data={{ trigger: name, enabled: String(trigger?.enabled ?? '') }}
      model={model}
      meta={
        trigger && (
          <>
            <Watching trigger={trigger} />
            {trigger.description && <span>{trigger.description}</span>}
          </>
        )
      }
      actions={
        trigger
          ? [
              { label: trans.__('Fire now'), onClick: () => actions.fire([name]), className: 'jp-mlservice-trigger-fire' },
              {
                label: trigger.enabled ? trans.__('Disable') : trans.__('Enable'),
                onClick: () => actions.setEnabled([name], !trigger.enabled),
                className: 'jp-mlservice-trigger-toggle'
              },
              { label: trans.__('Delete'), onClick: () => actions.removeTriggers([name]), className: 'jp-mlservice-trigger-delete' }
            ]
          : []
      }
    >
      {trigger && (
        <>
          <DetailSection title={trans.__('Settings')} className="jp-mlservice-trigger-settings">
            <Facts
              rows={[
                [trans.__('Watching'), <Watching trigger={trigger} />],
                [trans.__('State'), <EnabledChip enabled={trigger.enabled} />],
                [trans.__('Runs'), <code className="jp-mlservice-trigger-job">{jobSummary(trigger.run)}</code>],
                [trans.__('Target'), trigger.run.kind ? String(trigger.run.target ?? 'local') : ''],
                [trans.__('Fired'), trans._n('%1 time', '%1 times', trigger.firings)],
                [trans.__('Last fired'), formatTime(trigger.last_fired_at)],
                [trans.__('Created by'), trigger.created_by],
                [trans.__('Created'), formatTime(trigger.created_at)]
              ]}
            />
            <details className="jp-mlservice-trigger-spec">
              <summary>{trans.__('Job spec')}</summary>
              <pre>{JSON.stringify(trigger.run, null, 2)}</pre>
            </details>
          </DetailSection>
          <DetailSection title={trans.__('Firings')} className="jp-mlservice-trigger-firings">
            <FiringsTable firings={model.firings} host={host} />
          </DetailSection>
        </>
      )}
    </DetailFrame>
  );
}

/** The plan's stages in a row, the current one marked (aria-current="step"). */
export function RolloutStepper(props: { stages: ReadonlyArray<IStage> }): JSX.Element {
  const words: Record<IStage['status'], string> = {
    done: trans.__('passed'),
    current: trans.__('in progress'),
    waiting: trans.__('waiting for approval'),
    failed: trans.__('rolled back'),
    pending: trans.__('to come')
  };
  return (
    <ol className="jp-mlservice-stepper" aria-label={trans.__('Plan')}>
      {props.stages.map(stage => (
        <li
          key={stage.phase}
          className={`jp-mlservice-stepper-stage jp-mlservice-stage-${stage.status}`}
          data-phase={stage.phase}
          data-status={stage.status}
          aria-current={stage.status === 'current' || stage.status === 'waiting' || stage.status === 'failed' ? 'step' : undefined}
        >
          <span className="jp-mlservice-stepper-dot" aria-hidden="true" />
          <span className="jp-mlservice-stepper-label">{stage.label}</span>
          <span className="jp-mlservice-stepper-status">{words[stage.status]}</span>
        </li>
      ))}
    </ol>
  );
}

/** Where the endpoint's live traffic goes now, as one bar split in two. */
export function TrafficSplit(props: { rollout: Rollout }): JSX.Element {
  const split = trafficSplit(props.rollout);
  return (
    <div className="jp-mlservice-rollout-traffic" data-traffic={props.rollout.traffic_percent}>
      <div className="jp-mlservice-split-bar" role="img" aria-label={split.map(s => `${s.deployment} ${s.percent}%`).join(', ')}>
        {split
          .filter(s => s.percent > 0)
          .map(s => (
            <span key={s.role} className={`jp-mlservice-split-${s.role}`} style={{ width: `${s.percent}%` }} />
          ))}
      </div>
      <div className="jp-mlservice-split-legend">
        {split.map(s => (
          <span key={s.role} className="jp-mlservice-split-item" data-role={s.role} data-deployment={s.deployment} data-percent={s.percent}>
            <span className={`jp-mlservice-split-swatch jp-mlservice-split-${s.role}`} aria-hidden="true" />
            {s.role === 'baseline' ? trans.__('%1 (baseline) %2%', s.deployment, s.percent) : trans.__('%1 (candidate) %2%', s.deployment, s.percent)}
          </span>
        ))}
      </div>
    </div>
  );
}

/** Two small bars, candidate over baseline, scaled to the larger of the two. */
function PairBars(props: { candidate: number | null; baseline: number | null; label: string }): JSX.Element {
  const max = Math.max(props.candidate ?? 0, props.baseline ?? 0);
  const width = (v: number | null) => (max > 0 && v !== null ? Math.max(1, (v / max) * 60) : 0);
  return (
    <svg className="jp-mlservice-pair-bars" width="60" height="12" viewBox="0 0 60 12" role="img" aria-label={props.label}>
      <rect className="jp-mlservice-bar-candidate" x="0" y="0" height="5" width={width(props.candidate)} />
      <rect className="jp-mlservice-bar-baseline" x="0" y="7" height="5" width={width(props.baseline)} />
    </svg>
  );
}

function FigureCell(props: { candidate: number | null; baseline: number | null; format: (v: number | null) => string; what: string }): JSX.Element {
  const { candidate, baseline, format } = props;
  return (
    <td className="jp-mlservice-phase-figure">
      <span className="jp-mlservice-phase-values">
        {format(candidate)} <span className="jp-mlservice-phase-vs">{trans.__('vs')}</span> {format(baseline)}
      </span>
      <PairBars candidate={candidate} baseline={baseline} label={trans.__('%1: candidate %2, baseline %3', props.what, format(candidate), format(baseline))} />
    </td>
  );
}

/** Each phase judged so far: the candidate's figures against the baseline's, and the decision. */
export function PhasesTable(props: { rollout: Rollout }): JSX.Element {
  const history = props.rollout.history ?? [];
  if (history.length === 0) {
    return <div className="jp-mlservice-empty">{trans.__('No phase has been judged yet.')}</div>;
  }
  const count = (v: number | null) => (v === null ? '–' : String(v));
  return (
    <table className="jp-mlservice-table jp-mlservice-phases" aria-label={trans.__('Phases')}>
      <thead>
        <tr>
          <th scope="col">{trans.__('Phase')}</th>
          <th scope="col">{trans.__('Requests (new vs old)')}</th>
          <th scope="col">{trans.__('Error rate (new vs old)')}</th>
          <th scope="col">{trans.__('p99 (new vs old)')}</th>
          <th scope="col">{trans.__('Decision')}</th>
        </tr>
      </thead>
      <tbody>
        {history.map((entry, index) => {
          const { candidate: c, baseline: b }: { candidate: IPhaseFigures; baseline: IPhaseFigures } = phaseFigures(entry);
          return (
            <tr key={`${entry.phase}-${index}`} className="jp-mlservice-phase" data-phase={entry.phase} data-decision={entry.decision}>
              <th scope="row">{entry.phase}</th>
              <FigureCell candidate={c.requests} baseline={b.requests} format={count} what={trans.__('Requests')} />
              <FigureCell candidate={c.error_rate} baseline={b.error_rate} format={formatRate} what={trans.__('Error rate')} />
              <FigureCell candidate={c.p99_ms} baseline={b.p99_ms} format={formatMs} what={trans.__('p99')} />
              <td>
                <span className={`jp-mlservice-chip jp-mlservice-decision-${entry.decision}`}>{entry.decision.replace('_', ' ')}</span>
                {entry.reason && <div className="jp-mlservice-phase-reason">{entry.reason}</div>}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** A rollout: its plan as a stepper, the live split, each phase's figures, state and reason; Approve and Abort. */
export function RolloutView(props: { model: RolloutDetailModel; actions: IAutomationActions; host: IDetailHost }): JSX.Element {
  const model = useModel(props.model);
  const { actions, host } = props;
  const rollout = model.rollout;
  const plan = rollout?.plan;
  const modelPath = rollout ? modelVersionPath(rollout.model) : null;
  return (
    <DetailFrame
      host={host}
      kind={trans.__('Rollout')}
      title={rollout ? `${rollout.endpoint}: ${rollout.baseline} → ${rollout.candidate}` : model.id}
      status={rollout?.state}
      className="jp-mlservice-rollout-view"
      data={{ rollout: model.id, state: rollout?.state ?? '', traffic: String(rollout?.traffic_percent ?? '') }}
      model={model}
      meta={
        rollout && (
          <>
            <span className="jp-mlservice-mono">{rollout.id}</span>
            {modelPath ? (
              <StudioLink host={host} path={modelPath} className="jp-mlservice-rollout-model">
                {rollout.model}
              </StudioLink>
            ) : (
              <span>{rollout.model}</span>
            )}
            <StudioLink host={host} path={`endpoints/${encodeURIComponent(rollout.endpoint)}`} className="jp-mlservice-rollout-endpoint">
              {trans.__('endpoint %1', rollout.endpoint)}
            </StudioLink>
            {rollout.dry_run && <span className="jp-mlservice-chip">{trans.__('dry run')}</span>}
          </>
        )
      }
      actions={
        rollout
          ? [
              {
                label: trans.__('Approve'),
                onClick: () => actions.approve(rollout.id),
                disabled: !canApprove(rollout),
                title: rollout.require_approval
                  ? trans.__('Let the candidate take all traffic (offered while the rollout waits for approval)')
                  : trans.__('This rollout does not wait for an approval'),
                className: 'jp-mlservice-rollout-approve'
              },
              {
                label: trans.__('Abort'),
                onClick: () => actions.abort([rollout.id]),
                disabled: !canAbort(rollout),
                title: trans.__('Send all traffic back to the baseline now'),
                className: 'jp-mlservice-rollout-abort'
              }
            ]
          : []
      }
    >
      {rollout && plan && (
        <>
          <DetailSection title={trans.__('Plan')} className="jp-mlservice-rollout-plan">
            <RolloutStepper stages={rolloutStages(rollout)} />
            {rollout.reason && (
              <div className={`jp-mlservice-rollout-reason${rollout.state === 'RolledBack' ? ' jp-mlservice-error' : ''}`} role="status">
                {rollout.reason}
              </div>
            )}
          </DetailSection>
          <DetailSection title={trans.__('Traffic now')} className="jp-mlservice-rollout-split">
            <TrafficSplit rollout={rollout} />
          </DetailSection>
          <DetailSection title={trans.__('Phases')} className="jp-mlservice-rollout-phases">
            <PhasesTable rollout={rollout} />
          </DetailSection>
          <DetailSection title={trans.__('Settings')} className="jp-mlservice-rollout-settings">
            <Facts
              rows={[
                [trans.__('State'), <StateBadge state={rollout.state} />],
                [trans.__('Steps'), (plan.steps ?? []).map(s => `${s}%`).join(' → ')],
                [trans.__('Each step'), trans.__('%1 s, at least %2 requests', plan.interval_s ?? 300, plan.min_requests ?? 20)],
                [trans.__('Mirror first'), plan.mirror_first_s ? trans.__('%1 s', plan.mirror_first_s) : ''],
                [
                  trans.__('Roll back if'),
                  [
                    plan.rollback_if?.error_rate !== null && plan.rollback_if?.error_rate !== undefined
                      ? trans.__('error rate > %1', formatRate(plan.rollback_if.error_rate))
                      : '',
                    plan.rollback_if?.p99_ms ? trans.__('p99 > %1', formatMs(plan.rollback_if.p99_ms)) : ''
                  ]
                    .filter(Boolean)
                    .join(trans.__(' or '))
                ],
                [trans.__('Approval'), rollout.require_approval ? trans.__('required before the last step') : trans.__('not required')],
                [trans.__('Approved'), rollout.approved_at ? trans.__('by %1, %2', rollout.approved_by ?? '', formatTime(rollout.approved_at)) : ''],
                [trans.__('Started'), trans.__('%1 by %2', formatTime(rollout.created_at), rollout.created_by || trans.__('unknown'))],
                [trans.__('Finished'), formatTime(rollout.finished_at)],
                [trans.__('Baseline'), rollout.baseline_deleted ? trans.__('%1 (deleted after the grace period)', rollout.baseline) : rollout.baseline]
              ]}
            />
          </DetailSection>
        </>
      )}
    </DetailFrame>
  );
}
