/**
 * Questions about statuses, names and bounds, answered from what the server publishes
 * (constants.ts, generated from the OpenAPI document): no status list, name pattern or limit is
 * written out anywhere else.
 */
import {
  ACTIVE_DEPLOYMENT_STATUSES,
  ACTIVE_JOB_STATUSES,
  DATA_ALIAS_PATTERN,
  DATA_NAME_PATTERN,
  ENDPOINT_NAME_PATTERN,
  ENVIRONMENT_NAME_PATTERN,
  FIELD_BOUNDS,
  JOB_STATUSES,
  MAX_MIRROR_PERCENT,
  MODEL_ALIAS_PATTERN,
  MODEL_NAME_PATTERN,
  NAME_PATTERN,
  TERMINAL_JOB_STATUSES
} from './constants';

export { ACTIVE_JOB_STATUSES, FIELD_BOUNDS, JOB_STATUSES, MAX_MIRROR_PERCENT };

const TERMINAL: ReadonlySet<string> = new Set(TERMINAL_JOB_STATUSES);
const ACTIVE: ReadonlySet<string> = new Set(ACTIVE_JOB_STATUSES);
const CHANGING: ReadonlySet<string> = new Set(ACTIVE_DEPLOYMENT_STATUSES);

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
  return CHANGING.has(status);
}

/** Statuses of jobs not ended yet, for the `status` filter of GET /jobs (comma-separated). */
export const UNFINISHED_JOB_STATUSES: ReadonlyArray<string> = JOB_STATUSES.filter(s => !TERMINAL.has(s));

/** The server's name rule of each kind of name. */
const NAME_RULES = {
  target: NAME_PATTERN,
  schedule: NAME_PATTERN,
  endpoint: ENDPOINT_NAME_PATTERN,
  deployment: ENDPOINT_NAME_PATTERN,
  model: MODEL_NAME_PATTERN,
  alias: MODEL_ALIAS_PATTERN,
  data: DATA_NAME_PATTERN,
  dataAlias: DATA_ALIAS_PATTERN,
  environment: ENVIRONMENT_NAME_PATTERN
};

export type NameKind = keyof typeof NAME_RULES;

/** The server's rule for names of this kind. */
export function namePattern(kind: NameKind): RegExp {
  return new RegExp(NAME_RULES[kind]);
}
