/**
 * Questions about statuses and names, answered from the constants the server publishes
 * (constants.ts, generated): no status list or name pattern is written out anywhere else.
 */
import {
  DEPLOYMENT_TRANSITIONAL_STATUSES,
  JOB_ACTIVE_STATUSES,
  JOB_STATUSES,
  JOB_TERMINAL_STATUSES,
  LIMITS,
  NAME_PATTERNS
} from './constants';

export { JOB_STATUSES, LIMITS };

const TERMINAL: ReadonlySet<string> = new Set(JOB_TERMINAL_STATUSES);
const ACTIVE: ReadonlySet<string> = new Set(JOB_ACTIVE_STATUSES);
const TRANSITIONAL: ReadonlySet<string> = new Set(DEPLOYMENT_TRANSITIONAL_STATUSES);

/** A job in this status never changes again. */
export function isJobEnded(status: string): boolean {
  return TERMINAL.has(status);
}

/** A job in this status holds a slot of its target (started, not ended). */
export function isJobActive(status: string): boolean {
  return ACTIVE.has(status);
}

/** A deployment or endpoint in this status changes by itself (Creating, Updating, Deleting). */
export function isDeploymentChanging(status: string): boolean {
  return TRANSITIONAL.has(status);
}

/** Statuses of jobs not ended yet, for the `status` filter of GET /jobs (comma-separated). */
export const UNFINISHED_JOB_STATUSES: ReadonlyArray<string> = JOB_STATUSES.filter(s => !TERMINAL.has(s));

export type NameKind = keyof typeof NAME_PATTERNS;

/** The server's rule for names of this kind. */
export function namePattern(kind: NameKind): RegExp {
  return new RegExp(NAME_PATTERNS[kind]);
}
