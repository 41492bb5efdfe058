/**
 * The Automation area's pure logic: what a trigger watches and what fired it in words, the
 * rollouts' order, a rollout's plan as stages, its traffic split and its per-phase figures, and
 * what the model version view shows of evaluations and promotions. No API, no JupyterLab.
 */
import type { Evaluation, Rollout, RolloutState, RolloutStep, Trigger, TriggerFiring } from '../../api/client';
import { trans } from '../../translate';

// ---- triggers ---------------------------------------------------------------------------

/** What a trigger watches, as its list shows it: the kind ("data") and the thing ("iris"). */
export function watching(trigger: Pick<Trigger, 'kind' | 'on'>): { kind: string; what: string } {
  const on = trigger.on;
  switch (trigger.kind) {
    case 'data':
      return { kind: trans.__('data'), what: on.data ?? '' };
    case 'model':
      return { kind: trans.__('model'), what: on.model ?? '' };
    case 'model_alias':
      return { kind: trans.__('alias'), what: `${on.model ?? ''}@${on.alias ?? ''}` };
    case 'model_tag':
      return { kind: trans.__('tag'), what: `${on.model ?? ''} ${on.tag ?? ''}` };
    case 'alert':
      return { kind: trans.__('alert'), what: on.alert === '*' ? trans.__('any monitor') : (on.alert ?? '') };
    case 'cron':
      return {
        kind: trans.__('cron'),
        what: on.time_zone && on.time_zone !== 'UTC' ? `${on.cron ?? ''} (${on.time_zone})` : (on.cron ?? '')
      };
    default:
      return { kind: String(trigger.kind), what: '' };
  }
}

/** What fired a firing, in a few words: `data:iris@3`, `iris@champion → v4`, `alert 17 (iris-drift)`, `manual`. */
export function causeText(cause: Record<string, unknown> | null | undefined): string {
  if (!cause) {
    return '';
  }
  const text = (key: string) => (cause[key] === undefined || cause[key] === null ? '' : String(cause[key]));
  const kind = text('kind');
  let what: string;
  switch (kind) {
    case 'model_alias':
      what = `${text('ref')} → v${text('version')}`;
      break;
    case 'model_tag':
      what = `${text('ref')} ${text('tag')}`;
      break;
    case 'alert':
      what = trans.__('alert %1 (%2)', text('alert_id'), text('monitor'));
      break;
    case 'cron':
      what = trans.__('slot %1', text('scheduled_time'));
      break;
    default:
      what = text('ref');
  }
  if (kind === 'manual') {
    return what ? trans.__('fired by hand (%1)', what) : trans.__('fired by hand');
  }
  return what.trim() || kind;
}

/** A firing's outcome: its job's status once submitted, else its own state ("Failed", "Claimed"). */
export function firingLabel(firing: Pick<TriggerFiring, 'state' | 'job_status'>): string {
  return firing.job_status ?? firing.state.charAt(0).toUpperCase() + firing.state.slice(1);
}

/** The cause of the trigger's latest firing, in words ('' when it never fired). */
export function lastCause(trigger: Pick<Trigger, 'last_firings'>): string {
  const last = trigger.last_firings?.[0];
  return last ? causeText(last.cause) : '';
}

// ---- rollouts ---------------------------------------------------------------------------

/** States a rollout is still moving in (one per endpoint at a time). */
export const ACTIVE_ROLLOUT_STATES: ReadonlyArray<RolloutState> = ['Creating', 'Mirroring', 'Progressing', 'Paused', 'AwaitingApproval'];

export function isActive(rollout: Pick<Rollout, 'state'>): boolean {
  return ACTIVE_ROLLOUT_STATES.includes(rollout.state);
}

/** In-progress rollouts first, then the rest; newest first within each. */
export function sortRollouts<T extends Pick<Rollout, 'state' | 'created_at'>>(rollouts: ReadonlyArray<T>): T[] {
  return [...rollouts].sort((a, b) => {
    const active = Number(isActive(b)) - Number(isActive(a));
    return active !== 0 ? active : String(b.created_at).localeCompare(String(a.created_at));
  });
}

/** Approve is offered only to a rollout held for its approval, not yet approved. */
export function canApprove(rollout: Pick<Rollout, 'state' | 'require_approval' | 'approved_at'>): boolean {
  return rollout.state === 'AwaitingApproval' && rollout.require_approval && !rollout.approved_at;
}

export function canAbort(rollout: Pick<Rollout, 'state'>): boolean {
  return isActive(rollout);
}

/** One stage of a rollout's plan, as the stepper draws it. */
export interface IStage {
  /** `mirror`, or `step N%`: the name the history gives the phase. */
  phase: string;
  label: string;
  /** Percent of live traffic the candidate takes at this stage (0 while mirrored). */
  percent: number;
  status: 'done' | 'current' | 'waiting' | 'failed' | 'pending';
}

/**
 * The plan as stages (the mirror phase first when there is one), each done, current, waiting for
 * approval, failed (where it rolled back) or still to come.
 */
export function rolloutStages(rollout: Pick<Rollout, 'plan' | 'state' | 'step' | 'history' | 'require_approval'>): IStage[] {
  const { plan, state, step } = rollout;
  const stages: IStage[] = [];
  const mirror = (plan.mirror_first_s ?? 0) > 0;
  if (mirror) {
    stages.push({ phase: 'mirror', label: trans.__('Mirror'), percent: 0, status: 'pending' });
  }
  for (const percent of plan.steps ?? []) {
    stages.push({ phase: `step ${percent}%`, label: `${percent}%`, percent, status: 'pending' });
  }
  const offset = mirror ? 1 : 0;
  let current: number;
  switch (state) {
    case 'Creating':
      current = -1;
      break;
    case 'Mirroring':
      current = 0;
      break;
    case 'AwaitingApproval':
      // `step` is the last step passed; the next one waits for the approval.
      current = step + 1 + offset;
      break;
    case 'Completed':
      current = stages.length;
      break;
    case 'RolledBack': {
      const last = (rollout.history ?? []).find(h => h.decision === 'rolled_back');
      const failed = last ? stages.findIndex(s => s.phase === last.phase) : -1;
      current = failed >= 0 ? failed : Math.max(step + offset, 0);
      break;
    }
    default:
      current = step + offset;
  }
  return stages.map((stage, index) => ({
    ...stage,
    status:
      index < current
        ? 'done'
        : index > current
          ? 'pending'
          : state === 'RolledBack'
            ? 'failed'
            : state === 'AwaitingApproval'
              ? 'waiting'
              : 'current'
  }));
}

/** Where the endpoint's live traffic goes now: the baseline's share and the candidate's. */
export function trafficSplit(rollout: Pick<Rollout, 'baseline' | 'candidate' | 'traffic_percent'>): { deployment: string; role: 'baseline' | 'candidate'; percent: number }[] {
  const candidate = Math.max(0, Math.min(100, rollout.traffic_percent ?? 0));
  return [
    { deployment: rollout.baseline, role: 'baseline', percent: 100 - candidate },
    { deployment: rollout.candidate, role: 'candidate', percent: candidate }
  ];
}

/** One side's figures over a phase (numbers or null where the server had none). */
export interface IPhaseFigures {
  requests: number | null;
  errors: number | null;
  error_rate: number | null;
  p99_ms: number | null;
}

function figure(side: Record<string, unknown> | null | undefined, key: keyof IPhaseFigures): number | null {
  const value = side?.[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** The candidate's and the baseline's figures over one phase of the history. */
export function phaseFigures(entry: Pick<RolloutStep, 'candidate' | 'baseline'>): { candidate: IPhaseFigures; baseline: IPhaseFigures } {
  const read = (side: Record<string, unknown>) => ({
    requests: figure(side, 'requests'),
    errors: figure(side, 'errors'),
    error_rate: figure(side, 'error_rate'),
    p99_ms: figure(side, 'p99_ms')
  });
  return { candidate: read(entry.candidate), baseline: read(entry.baseline) };
}

/** "1.5%" for an error rate between 0 and 1. */
export function formatRate(rate: number | null): string {
  if (rate === null) {
    return '–';
  }
  const percent = rate * 100;
  return `${percent === 0 || percent >= 10 ? percent.toFixed(0) : percent.toFixed(1)}%`;
}

/** "12 ms". */
export function formatMs(ms: number | null): string {
  return ms === null ? '–' : `${ms >= 100 ? ms.toFixed(0) : ms.toFixed(1)} ms`;
}

// ---- a model version's evaluations and promotions -----------------------------------------

/** Rollouts whose candidate is this model version (`iris:7`), in-progress first. */
export function promotionsOf<T extends Pick<Rollout, 'model' | 'state' | 'created_at'>>(rollouts: ReadonlyArray<T>, name: string, version: string): T[] {
  return sortRollouts(rollouts.filter(r => r.model === `${name}:${version}`));
}

/** The gate's verdict in words: "passed", "failed", "no gate", or the status while it runs. */
export function verdict(evaluation: Pick<Evaluation, 'status' | 'passed' | 'gate'>): string {
  if (evaluation.status !== 'Completed') {
    return evaluation.status;
  }
  if (evaluation.passed === null || evaluation.passed === undefined) {
    return evaluation.gate ? trans.__('no verdict') : trans.__('no gate');
  }
  return evaluation.passed ? trans.__('Passed') : trans.__('Failed');
}

/** "+0.031 [0.004, 0.058]": a difference with its interval, signed so that positive is better. */
export function formatDifference(difference: number, interval: ReadonlyArray<number>): string {
  const num = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(3));
  const sign = difference > 0 ? '+' : '';
  return interval.length === 2 ? `${sign}${num(difference)} [${num(interval[0])}, ${num(interval[1])}]` : `${sign}${num(difference)}`;
}
