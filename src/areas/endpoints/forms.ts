/**
 * The endpoint dialogs' checks: create an endpoint, deploy a model version, split
 * and mirror traffic, edit a deployment, a test request's payload. Pure: each
 * returns the body to send or what to change, with the server's rules.
 */
import type { Deployment, DeploymentCreate, DeploymentUpdate, Endpoint, EndpointCreate } from '../../api/client';
import { FIELD_BOUNDS, MAX_MIRROR_PERCENT as MIRROR_LIMIT } from '../../api/statuses';
import { modelRefError, nameError, wholeNumber } from '../../checks';
import { trans } from '../../translate';

/** How many worker processes a deployment may have (the server's bounds). */
const REPLICAS = FIELD_BOUNDS.DeploymentCreate.replicas;

// ---- create an endpoint ------------------------------------------------------------------

export interface IEndpointForm {
  name: string;
  authMode: 'key' | 'none';
  description: string;
}

export type EndpointFormErrors = Partial<Record<keyof IEndpointForm, string>>;

export function validateEndpointForm(
  form: IEndpointForm,
  existing: ReadonlyArray<string> = []
): { body?: EndpointCreate; errors: EndpointFormErrors } {
  const errors: EndpointFormErrors = {};
  const name = form.name.trim();
  const problem = nameError('endpoint', name, existing, trans.__('endpoint'));
  if (problem) {
    errors.name = problem;
    return { errors };
  }
  return { errors, body: { name, auth_mode: form.authMode, description: form.description.trim() } };
}

// ---- deploy a model version --------------------------------------------------------------

/** The value of the deploy dialog's endpoint field that means "create a new endpoint". */
export const NEW_ENDPOINT = '';

/** The deploy dialog's fields, as text, before validation. */
export interface IDeployForm {
  /** An existing endpoint's name, or NEW_ENDPOINT. */
  endpoint: string;
  /** The new endpoint's name (when `endpoint` is NEW_ENDPOINT). */
  newEndpoint: string;
  authMode: 'key' | 'none';
  deployment: string;
  /** Model reference: `iris:3`, `iris@champion` or `iris`. */
  model: string;
  replicas: string;
  /** Route all of the endpoint's traffic to the deployment once it is healthy. */
  allTraffic: boolean;
}

export type DeployFormErrors = Partial<Record<keyof IDeployForm, string>>;

/** What the deploy dialog asks for, checked. */
export interface IDeployPlan {
  endpoint: string;
  /** Create the endpoint first (with `authMode`). */
  createEndpoint: boolean;
  authMode: 'key' | 'none';
  /** `all_traffic` is set when the deployment must take the traffic from others once Healthy. */
  deployment: Partial<DeploymentCreate> & { name: string; model: string };
}

/** A deployment name from a model reference (`iris:3` -> `iris-v3`), unique among `taken`. */
export function deploymentNameFor(ref: string, taken: ReadonlyArray<string> = []): string {
  const [name, rest] = ref.split(/[:@]/, 2);
  let base = `${name}${rest ? (ref.includes('@') ? `-${rest}` : `-v${rest}`) : ''}`
    .replace(/[^A-Za-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!/^[A-Za-z]/.test(base)) {
    base = `m-${base}`;
  }
  base = base.slice(0, 32).replace(/-+$/, '') || 'blue';
  let candidate = base;
  for (let i = 2; taken.includes(candidate); i++) {
    const suffix = `-${i}`;
    candidate = base.slice(0, 32 - suffix.length) + suffix;
  }
  return candidate;
}

/** An endpoint name from a model name (`Iris_2` -> `iris-2`). */
export function endpointNameFor(model: string): string {
  let base = model
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!/^[a-z]/.test(base)) {
    base = `ep-${base}`;
  }
  return base.slice(0, 32).replace(/-+$/, '');
}

/** Whether an endpoint takes no live traffic yet (a new deployment then takes it all). */
function idle(endpoint: Endpoint | undefined): boolean {
  return !endpoint || Object.values(endpoint.traffic ?? {}).every(pct => !pct);
}

/** The deploy dialog pre-filled for a model version and the endpoints there are. */
export function initialDeployForm(ref: string, endpoints: ReadonlyArray<Endpoint>): IDeployForm {
  const first = endpoints[0];
  const modelName = ref.split(/[:@]/)[0];
  return {
    endpoint: first ? first.name : NEW_ENDPOINT,
    newEndpoint: first ? '' : endpointNameFor(modelName),
    authMode: 'key',
    deployment: deploymentNameFor(ref, first?.deployments ?? []),
    model: ref,
    replicas: '1',
    // A first deployment takes all traffic; a later one starts at 0% until shifted.
    allTraffic: idle(first)
  };
}

/** The deploy form after choosing another endpoint: "all traffic" follows whether it has any. */
export function chooseEndpoint(form: IDeployForm, name: string, endpoints: ReadonlyArray<Endpoint>): IDeployForm {
  return { ...form, endpoint: name, allTraffic: idle(endpoints.find(ep => ep.name === name)) };
}

export function validateDeployForm(
  form: IDeployForm,
  endpoints: ReadonlyArray<Endpoint>
): { plan?: IDeployPlan; errors: DeployFormErrors } {
  const errors: DeployFormErrors = {};
  const createEndpoint = form.endpoint === NEW_ENDPOINT;
  const endpointName = createEndpoint ? form.newEndpoint.trim() : form.endpoint;
  const existing = endpoints.find(e => e.name === endpointName);
  if (createEndpoint) {
    errors.newEndpoint = nameError('endpoint', endpointName);
    if (!endpointName) {
      errors.newEndpoint = trans.__('Name the new endpoint.');
    } else if (!errors.newEndpoint && existing) {
      errors.newEndpoint = trans.__('An endpoint named "%1" already exists: choose it above.', endpointName);
    }
  } else if (!existing) {
    errors.endpoint = trans.__('No endpoint named "%1".', endpointName);
  }
  const deployment = form.deployment.trim();
  if (!deployment) {
    errors.deployment = trans.__('Name the deployment (e.g. blue).');
  } else {
    errors.deployment = nameError('deployment', deployment);
    if (!errors.deployment && existing?.deployments.includes(deployment)) {
      errors.deployment = trans.__('Endpoint "%1" already has a deployment "%2".', endpointName, deployment);
    }
  }
  const model = form.model.trim();
  errors.model = modelRefError(model);
  const replicas = wholeNumber(form.replicas, REPLICAS.minimum, REPLICAS.maximum);
  if (replicas === null) {
    errors.replicas = trans.__('Replicas: a whole number from %1 to %2.', REPLICAS.minimum, REPLICAS.maximum);
  }
  for (const key of Object.keys(errors) as (keyof DeployFormErrors)[]) {
    if (!errors[key]) {
      delete errors[key];
    }
  }
  if (Object.keys(errors).length > 0 || replicas === null) {
    return { errors };
  }
  const body: IDeployPlan['deployment'] = { name: deployment, model, replicas };
  // On an endpoint whose traffic goes elsewhere, the server moves it all here once Healthy;
  // the first deployment of an endpoint takes all traffic anyway.
  if (form.allTraffic && !createEndpoint && !idle(existing)) {
    body.all_traffic = true;
  }
  return { errors, plan: { endpoint: endpointName, createEndpoint, authMode: form.authMode, deployment: body } };
}

// ---- live traffic ------------------------------------------------------------------------

/** Why a traffic split cannot be sent, or null when it can. */
export function trafficError(traffic: Record<string, number>, mirror: Record<string, number> = {}): string | null {
  const values = Object.values(traffic);
  if (values.some(v => !Number.isInteger(v) || v < 0 || v > 100)) {
    return trans.__('Each share is a whole percent from 0 to 100.');
  }
  const total = values.reduce((a, b) => a + b, 0);
  if (total !== 100 && total !== 0) {
    return trans.__('The shares add up to %1%; they must add up to 100% (or all be 0).', total);
  }
  const mirrored = Object.keys(traffic).filter(name => traffic[name] > 0 && (mirror[name] ?? 0) > 0);
  if (mirrored.length > 0) {
    return trans.__(
      '%1 already gets mirrored requests; a deployment takes live or mirror traffic, not both: stop mirroring to it first.',
      mirrored.map(n => `"${n}"`).join(', ')
    );
  }
  return null;
}

/**
 * Move one deployment's share. With two deployments the other takes the rest,
 * so a slider alone shifts traffic; with more, the user balances them.
 */
export function adjustTraffic(traffic: Record<string, number>, deployment: string, value: number): Record<string, number> {
  const clamped = Math.max(0, Math.min(100, Math.round(value)));
  const next = { ...traffic, [deployment]: clamped };
  const others = Object.keys(next).filter(name => name !== deployment);
  if (others.length === 1) {
    next[others[0]] = 100 - clamped;
  }
  return next;
}

/** "blue 90% · green 10%" */
export function trafficSummary(traffic: Record<string, number>): string {
  const parts = Object.entries(traffic)
    .filter(([, pct]) => pct > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([name, pct]) => `${name} ${pct}%`);
  return parts.length > 0 ? parts.join(' · ') : trans.__('no traffic');
}

// ---- mirror traffic ----------------------------------------------------------------------

/** The most of an endpoint's requests that may be copied to deployments, in total (the server's rule). */
export const MAX_MIRROR_PERCENT = MIRROR_LIMIT;

/** The mirror form: copy `percent` of the endpoint's requests to `deployment`. */
export interface IMirrorForm {
  deployment: string;
  percent: string;
}

export type MirrorFormErrors = Partial<Record<keyof IMirrorForm, string>>;

/** Shares mirrored to deployments that take some (zeros dropped). */
export function activeMirror(endpoint: Endpoint | null | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, pct] of Object.entries(endpoint?.mirror_traffic ?? {})) {
    if (pct > 0) {
      out[name] = pct;
    }
  }
  return out;
}

/** "mirror green 10%", or '' when nothing is mirrored. */
export function mirrorSummary(mirror: Record<string, number> | null | undefined): string {
  const parts = Object.entries(mirror ?? {})
    .filter(([, pct]) => pct > 0)
    .map(([name, pct]) => `${name} ${pct}%`);
  return parts.length > 0 ? trans.__('mirror %1', parts.join(' · ')) : '';
}

/** The mirror form for an endpoint: the mirrored deployment if any, else the first one without live traffic. */
export function initialMirrorForm(endpoint: Endpoint): IMirrorForm {
  const mirror = activeMirror(endpoint);
  const current = Object.keys(mirror)[0];
  if (current) {
    return { deployment: current, percent: String(mirror[current]) };
  }
  const spare = endpoint.deployments.find(name => !endpoint.traffic?.[name]);
  return { deployment: spare ?? endpoint.deployments[0] ?? '', percent: '10' };
}

/**
 * The endpoint's whole mirror table with the form's share set (0 removes it), or
 * what to change: the same rules as the server, so a refusal says why before sending.
 */
export function validateMirrorForm(
  form: IMirrorForm,
  endpoint: Endpoint
): { mirror?: Record<string, number>; errors: MirrorFormErrors } {
  const errors: MirrorFormErrors = {};
  const name = form.deployment;
  const text = form.percent.trim();
  const percent = Number(text);
  if (!name) {
    errors.deployment = trans.__('Choose the deployment that gets the copies.');
  } else if (!endpoint.deployments.includes(name)) {
    errors.deployment = trans.__('Endpoint "%1" has no deployment "%2".', endpoint.name, name);
  }
  if (!text || !Number.isInteger(percent) || percent < 0 || percent > 100) {
    errors.percent = trans.__('A whole percent from 0 to %1 (0 stops mirroring to it).', MAX_MIRROR_PERCENT);
  }
  const live = endpoint.traffic?.[name] ?? 0;
  if (!errors.deployment && !errors.percent && percent > 0 && live > 0) {
    errors.deployment = trans.__(
      '"%1" takes %2% of the live traffic; a deployment takes live or mirror traffic, not both. Mirror to a deployment with 0% live traffic, or move its traffic away first.',
      name,
      live
    );
  }
  const mirror = activeMirror(endpoint);
  delete mirror[name];
  const others = Object.values(mirror).reduce((a, b) => a + b, 0);
  if (!errors.deployment && !errors.percent && others + percent > MAX_MIRROR_PERCENT) {
    errors.percent = others
      ? trans.__(
          'At most %1% of requests can be mirrored in total; %2% already go to %3: use %4% or less.',
          MAX_MIRROR_PERCENT,
          others,
          Object.keys(mirror).join(', '),
          MAX_MIRROR_PERCENT - others
        )
      : trans.__('At most %1% of requests can be mirrored.', MAX_MIRROR_PERCENT);
  }
  if (Object.keys(errors).length > 0) {
    return { errors };
  }
  if (percent > 0) {
    mirror[name] = percent;
  }
  return { errors, mirror };
}

// ---- edit a deployment -------------------------------------------------------------------

/** The edit-deployment dialog's fields, as text, before validation. */
export interface IDeploymentEditForm {
  /** Model reference: `iris:3`, `iris@champion` or `iris`. */
  model: string;
  replicas: string;
  requestTimeoutMs: string;
  maxConcurrentRequests: string;
  maxQueueWaitMs: string;
  /** One `NAME=value` a line. */
  environment: string;
}

export type DeploymentEditErrors = Partial<Record<keyof IDeploymentEditForm | 'form', string>>;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `{A: '1', B: 'x'}` -> "A=1\nB=x" */
export function formatEnvironment(env: Record<string, string> | null | undefined): string {
  return Object.entries(env ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join('\n');
}

/** "A=1\nB=x" -> `{A: '1', B: 'x'}`; blank lines and `#` comments are skipped. Throws what to fix. */
export function parseEnvironment(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) {
      return;
    }
    const eq = line.indexOf('=');
    const key = (eq < 0 ? line : line.slice(0, eq)).trim();
    if (eq < 0 || !ENV_NAME.test(key)) {
      throw new Error(
        trans.__(
          'Line %1: write NAME=value, the name made of letters, digits and "_" (not starting with a digit).',
          index + 1
        )
      );
    }
    if (key in env) {
      throw new Error(trans.__('Line %1: %2 is set twice.', index + 1, key));
    }
    env[key] = line.slice(eq + 1).trim();
  });
  return env;
}

export function initialDeploymentEditForm(deployment: Deployment): IDeploymentEditForm {
  const settings = deployment.request_settings ?? {};
  return {
    model: deployment.model,
    replicas: String(deployment.replicas),
    requestTimeoutMs: String(settings.request_timeout_ms ?? 5000),
    maxConcurrentRequests: String(settings.max_concurrent_requests ?? 64),
    maxQueueWaitMs: String(settings.max_queue_wait_ms ?? 500),
    environment: formatEnvironment(deployment.environment_variables)
  };
}

/**
 * What changed, as a DeploymentUpdate (only the changed parts, so the server
 * rolls out only when something did), or what to fix.
 */
export function validateDeploymentEditForm(
  form: IDeploymentEditForm,
  deployment: Deployment
): { body?: DeploymentUpdate; errors: DeploymentEditErrors } {
  const errors: DeploymentEditErrors = {};
  const body: DeploymentUpdate = {};
  const model = form.model.trim();
  const refProblem = modelRefError(model);
  if (refProblem) {
    errors.model = refProblem;
  } else if (model !== deployment.model) {
    body.model = model;
  }
  const replicas = wholeNumber(form.replicas, REPLICAS.minimum, REPLICAS.maximum);
  if (replicas === null) {
    errors.replicas = trans.__('Replicas: a whole number from %1 to %2.', REPLICAS.minimum, REPLICAS.maximum);
  } else if (replicas !== deployment.replicas) {
    body.replicas = replicas;
  }
  const { request_timeout_ms: TIMEOUT, max_concurrent_requests: CONCURRENT, max_queue_wait_ms: WAIT } =
    FIELD_BOUNDS.RequestSettings;
  const timeout = wholeNumber(form.requestTimeoutMs, TIMEOUT.minimum, TIMEOUT.maximum);
  if (timeout === null) {
    errors.requestTimeoutMs = trans.__('Milliseconds from %1 to %2.', TIMEOUT.minimum, TIMEOUT.maximum);
  }
  const concurrent = wholeNumber(form.maxConcurrentRequests, CONCURRENT.minimum, CONCURRENT.maximum);
  if (concurrent === null) {
    errors.maxConcurrentRequests = trans.__('A whole number from %1 to %2.', CONCURRENT.minimum, CONCURRENT.maximum);
  }
  const queueWait = wholeNumber(form.maxQueueWaitMs, WAIT.minimum, WAIT.maximum);
  if (queueWait === null) {
    errors.maxQueueWaitMs = trans.__('Milliseconds from %1 to %2 (0: answer 429 at once when busy).', WAIT.minimum, WAIT.maximum);
  }
  if (timeout !== null && concurrent !== null && queueWait !== null) {
    const current = deployment.request_settings ?? {};
    if (
      timeout !== current.request_timeout_ms ||
      concurrent !== current.max_concurrent_requests ||
      queueWait !== current.max_queue_wait_ms
    ) {
      // The server takes request settings whole: keep the fields this form does not show.
      body.request_settings = {
        ...current,
        request_timeout_ms: timeout,
        max_concurrent_requests: concurrent,
        max_queue_wait_ms: queueWait
      };
    }
  }
  try {
    const env = parseEnvironment(form.environment);
    const before = deployment.environment_variables ?? {};
    const same =
      Object.keys(env).length === Object.keys(before).length &&
      Object.entries(env).every(([key, value]) => before[key] === value);
    if (!same) {
      body.environment_variables = env;
    }
  } catch (error) {
    errors.environment = (error as Error).message;
  }
  if (Object.keys(errors).length > 0) {
    return { errors };
  }
  if (Object.keys(body).length === 0) {
    return { errors: { form: trans.__('Nothing changed: edit a field, or cancel.') } };
  }
  return { errors, body };
}

// ---- a test request ----------------------------------------------------------------------

/** Parse the test form's payload; throws a message that says what to fix. */
export function parsePayload(text: string): unknown {
  if (!text.trim()) {
    throw new Error(trans.__('Write a JSON payload, e.g. %1.', '{"inputs": [[5.1, 3.5, 1.4, 0.2]]}'));
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(trans.__('The payload is not valid JSON: %1', (error as Error).message));
  }
}

/** Show the end of a key only: enough to tell keys apart, not to use one. */
export function maskKey(key: string | null | undefined): string {
  if (!key) {
    return trans.__('(none)');
  }
  return `${'•'.repeat(12)}${key.slice(-4)}`;
}
