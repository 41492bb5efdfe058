import { fireEvent, render, screen } from '@testing-library/react';
import * as React from 'react';

import * as api from '../api/client';
import type { Deployment, Endpoint, ModelVersion, RegisteredModel } from '../api/client';
import { EndpointsSection, maskKey, mirrorSummary, trafficSummary } from '../components/EndpointsSection';
import { ModelsSection } from '../components/ModelsSection';
import { DeploymentEditForm } from '../components/ServingForms';
import {
  DeploymentLogsModel,
  EndpointsModel,
  NEW_ENDPOINT,
  adjustTraffic,
  deploymentNameFor,
  formatEnvironment,
  initialDeployForm,
  initialDeploymentEditForm,
  initialMirrorForm,
  parseEnvironment,
  parsePayload,
  trafficError,
  validateDeployForm,
  validateDeploymentEditForm,
  validateEndpointForm,
  validateMirrorForm
} from '../models/endpoints';
import {
  RegistryModel,
  aliasError,
  initialRegisterForm,
  validateRegisterForm
} from '../models/registry';

jest.mock('../api/client', () => {
  const actual = jest.requireActual('../api/client');
  const fns = [
    'listModels', 'getModel', 'getModelVersion', 'registerModel', 'setModelAlias', 'deleteModelAlias',
    'listEndpoints', 'createEndpoint', 'deleteEndpoint', 'getEndpointKeys', 'regenerateEndpointKey',
    'setEndpointTraffic', 'invokeEndpoint', 'getEndpointMetrics', 'listDeployments', 'createDeployment',
    'getDeployment', 'deleteDeployment', 'getDeploymentLogs', 'setEndpointMirror', 'updateDeployment'
  ];
  return { ...actual, ...Object.fromEntries(fns.map(f => [f, jest.fn()])) };
});

const mocked = api as jest.Mocked<typeof api>;

beforeEach(() => jest.resetAllMocks());

// ---- fixtures ----------------------------------------------------------------------------

function registered(overrides: Partial<RegisteredModel> = {}): RegisteredModel {
  return {
    name: 'iris',
    description: '',
    tags: {},
    aliases: {},
    latest_version: '1',
    created_at: 1735689600000,
    updated_at: 1735689600000,
    ...overrides
  } as RegisteredModel;
}

function version(overrides: Partial<ModelVersion> = {}): ModelVersion {
  return {
    name: 'iris',
    version: '1',
    source: 'models:/m-1',
    run_id: 'run1',
    status: 'READY',
    description: '',
    tags: {},
    aliases: [],
    created_at: 1735689600000,
    ...overrides
  } as ModelVersion;
}

function endpoint(overrides: Partial<Endpoint> = {}): Endpoint {
  return {
    name: 'iris-ep',
    description: '',
    auth_mode: 'key',
    scoring_uri: 'http://127.0.0.1:9000/score',
    base_uri: 'http://127.0.0.1:9000',
    swagger_uri: 'http://127.0.0.1:9000/iris-ep/swagger.json',
    status: 'Healthy',
    traffic: {},
    mirror_traffic: {},
    deployments: [],
    created_at: '2025-01-01T00:00:00Z',
    ...overrides
  } as Endpoint;
}

function deployment(overrides: Partial<Deployment> = {}): Deployment {
  return {
    endpoint: 'iris-ep',
    name: 'blue',
    model: 'iris:1',
    model_name: 'iris',
    model_version: '1',
    scoring_script: null,
    replicas: 1,
    request_settings: {} as any,
    environment_variables: {},
    status: 'Healthy',
    ready_workers: 1,
    traffic: 0,
    mirror_traffic: 0,
    created_at: '2025-01-01T00:00:00Z',
    updated_at: '2025-01-01T00:00:00Z',
    ...overrides
  } as Deployment;
}

/** An endpoint with deployments, their metrics and the endpoint list, all answered. */
function serveEndpoint(ep: Endpoint, deployments: Deployment[], metrics: Record<string, any> = {}) {
  mocked.listEndpoints.mockResolvedValue({ items: [ep], next_cursor: null });
  mocked.listDeployments.mockResolvedValue({ items: deployments });
  mocked.getEndpointMetrics.mockResolvedValue({ deployments: metrics });
}

// ---- forms -------------------------------------------------------------------------------

describe('register form', () => {
  it('sends a job source with its artifact path', () => {
    const form = { ...initialRegisterForm(['job1']), name: 'iris' };
    expect(validateRegisterForm(form).body).toEqual({
      name: 'iris',
      description: '',
      tags: {},
      job_id: 'job1',
      path: 'model'
    });
  });

  it('says what to change instead of sending', () => {
    const form = initialRegisterForm([]);
    const bad = validateRegisterForm({ ...form, name: 'bad name' });
    expect(bad.body).toBeUndefined();
    expect(bad.errors.name).toMatch(/letters, digits/);
    expect(bad.errors.job).toMatch(/completed job/);
    expect(validateRegisterForm({ ...form, name: 'x', source: 'run', run: 'nope' }).errors.run).toMatch(/run id/);
    expect(validateRegisterForm({ ...form, name: 'x', source: 'path', localPath: 'rel/dir' }).errors.localPath).toMatch(
      /absolute/
    );
    expect(
      validateRegisterForm({ ...form, name: 'x', source: 'path', localPath: '/srv/iris' }).body
    ).toMatchObject({ local_path: '/srv/iris' });
  });

  it('checks aliases like the server', () => {
    expect(aliasError('champion')).toBeNull();
    expect(aliasError('1st')).toMatch(/starts with a letter/);
    expect(aliasError('latest')).toMatch(/reserved/);
  });
});

describe('deploy form', () => {
  it('names deployments after the version, uniquely and within the rules', () => {
    expect(deploymentNameFor('iris:3')).toBe('iris-v3');
    expect(deploymentNameFor('iris@champion')).toBe('iris-champion');
    expect(deploymentNameFor('9_lives.model:2')).toBe('m-9-lives-model-v2');
    expect(deploymentNameFor('iris:3', ['iris-v3'])).toBe('iris-v3-2');
    expect(deploymentNameFor('a'.repeat(40) + ':1').length).toBeLessThanOrEqual(32);
  });

  it('offers a new endpoint with all traffic when there is none', () => {
    const form = initialDeployForm('iris:1', []);
    expect(form.endpoint).toBe(NEW_ENDPOINT);
    expect(form.newEndpoint).toBe('iris');
    expect(form.allTraffic).toBe(true);
    const checked = validateDeployForm(form, []);
    expect(checked.plan).toEqual({
      endpoint: 'iris',
      createEndpoint: true,
      authMode: 'key',
      deployment: { name: 'iris-v1', model: 'iris:1', replicas: 1 },
      allTraffic: true
    });
  });

  it('adds to an existing endpoint without taking its traffic', () => {
    const ep = endpoint({ deployments: ['iris-v1'], traffic: { 'iris-v1': 100 } });
    const form = initialDeployForm('iris:2', [ep]);
    expect(form.endpoint).toBe('iris-ep');
    expect(form.deployment).toBe('iris-v2');
    expect(form.allTraffic).toBe(false);
    expect(validateDeployForm(form, [ep]).plan?.createEndpoint).toBe(false);
  });

  it('says what to change instead of sending', () => {
    const ep = endpoint({ deployments: ['blue'] });
    const form = initialDeployForm('iris:2', [ep]);
    const checked = validateDeployForm({ ...form, deployment: 'blue', replicas: '0', model: 'iris:two' }, [ep]);
    expect(checked.plan).toBeUndefined();
    expect(checked.errors.deployment).toMatch(/already has/);
    expect(checked.errors.replicas).toMatch(/1 to 32/);
    expect(checked.errors.model).toMatch(/number/);
    const clash = validateDeployForm({ ...form, endpoint: NEW_ENDPOINT, newEndpoint: 'iris-ep' }, [ep]);
    expect(clash.errors.newEndpoint).toMatch(/already exists/);
    expect(validateEndpointForm({ name: '1x', authMode: 'key', description: '' }).errors.name).toMatch(/letter/);
  });
});

describe('traffic', () => {
  it('moves the other share when there are two deployments', () => {
    expect(adjustTraffic({ blue: 100, green: 0 }, 'green', 30)).toEqual({ blue: 70, green: 30 });
    expect(adjustTraffic({ a: 50, b: 50, c: 0 }, 'c', 20)).toEqual({ a: 50, b: 50, c: 20 });
    expect(adjustTraffic({ a: 0 }, 'a', 140)).toEqual({ a: 100 });
  });

  it('accepts 100% or nothing', () => {
    expect(trafficError({ a: 70, b: 30 })).toBeNull();
    expect(trafficError({ a: 0, b: 0 })).toBeNull();
    expect(trafficError({ a: 50, b: 20, c: 20 })).toMatch(/add up to 90%/);
    expect(trafficSummary({ blue: 10, green: 90, red: 0 })).toBe('green 90% · blue 10%');
  });

  it('parses payloads with a message that says what is wrong', () => {
    expect(parsePayload('{"inputs": [[1]]}')).toEqual({ inputs: [[1]] });
    expect(() => parsePayload('')).toThrow(/JSON payload/);
    expect(() => parsePayload('{inputs')).toThrow(/not valid JSON/);
    expect(maskKey('abcdefghijklmnop')).toBe('••••••••••••mnop');
    expect(maskKey(null)).toBe('(none)');
  });
});

// ---- models ------------------------------------------------------------------------------

describe('RegistryModel', () => {
  it('lists every page, loads versions of expanded models and the lineage of the selected version', async () => {
    mocked.listModels
      .mockResolvedValueOnce({ items: [registered({ name: 'a' })], next_cursor: 'c1' })
      .mockResolvedValue({ items: [registered({ name: 'iris' })], next_cursor: null });
    mocked.getModel.mockResolvedValue(
      registered({ versions: [version({ version: '2', aliases: ['champion'] }), version()] })
    );
    mocked.getModelVersion.mockResolvedValue(version({ lineage: { job_id: 'job1', params: { C: '1' } } }));
    const model = new RegistryModel({ auto: false });
    await model.refresh();
    expect(model.items.map(m => m.name)).toEqual(['a', 'iris']);
    expect(mocked.listModels.mock.calls[1][0]).toMatchObject({ cursor: 'c1' });
    expect(mocked.getModel).not.toHaveBeenCalled();

    await model.toggle('iris');
    expect(model.versions('iris').map(v => v.version)).toEqual(['2', '1']);
    await model.select('iris', '1');
    expect(mocked.getModelVersion).toHaveBeenCalledWith('iris', '1');
    expect(model.selectedVersion?.lineage).toMatchObject({ job_id: 'job1' });

    mocked.setModelAlias.mockResolvedValue(version({ aliases: ['prod'] }));
    await model.setAlias('iris', 'prod', '1');
    expect(mocked.setModelAlias).toHaveBeenCalledWith('iris', 'prod', '1');
    await expect(model.setAlias('iris', 'latest', '1')).rejects.toThrow(/reserved/);
    model.dispose();
  });

  it('forgets expanded models that were deleted', async () => {
    mocked.listModels.mockResolvedValue({ items: [registered()], next_cursor: null });
    mocked.getModel.mockResolvedValue(registered({ versions: [version()] }));
    const model = new RegistryModel({ auto: false });
    await model.toggle('iris');
    mocked.listModels.mockResolvedValue({ items: [], next_cursor: null });
    await model.refresh();
    expect(model.isExpanded('iris')).toBe(false);
    expect(model.versions('iris')).toEqual([]);
    model.dispose();
  });
});

describe('EndpointsModel', () => {
  it('loads the open endpoint with live figures, and a request rate between polls', async () => {
    let now = 1000;
    serveEndpoint(endpoint({ deployments: ['blue'], traffic: { blue: 100 } }), [deployment()], {
      blue: { requests: 10, errors: 1, p50_ms: 2.5, p99_ms: 12 }
    });
    const model = new EndpointsModel({ auto: false, now: () => now });
    await model.refresh();
    expect(model.poll.frequency.interval).toBe(EndpointsModel.IDLE_MS);
    await model.select('iris-ep');
    expect(model.deployments.map(d => d.name)).toEqual(['blue']);
    expect(model.figures('blue')).toEqual({ requests: 10, errors: 1, p50_ms: 2.5, p99_ms: 12, rate: null });
    expect(model.traffic).toEqual({ blue: 100 });
    expect(model.poll.frequency.interval).toBe(EndpointsModel.LIVE_MS);

    now = 3000;
    mocked.getEndpointMetrics.mockResolvedValue({ deployments: { blue: { requests: 30, errors: 1, p50_ms: 2, p99_ms: 9 } } });
    await model.refresh();
    expect(model.figures('blue')?.rate).toBe(10);
    model.dispose();
  });

  it('polls fast while a deployment changes state', async () => {
    serveEndpoint(endpoint({ deployments: ['blue'] }), [deployment({ status: 'Creating', ready_workers: 0 })]);
    const model = new EndpointsModel({ auto: false });
    await model.select('iris-ep');
    expect(model.poll.frequency.interval).toBe(EndpointsModel.BUSY_MS);
    model.dispose();
  });

  it('deploys to a new endpoint and routes all traffic to it once healthy', async () => {
    const ep = endpoint({ name: 'iris', deployments: ['iris-v1'] });
    mocked.createEndpoint.mockResolvedValue(ep);
    mocked.createDeployment.mockResolvedValue(deployment({ endpoint: 'iris', name: 'iris-v1', status: 'Creating' }));
    serveEndpoint(ep, [deployment({ endpoint: 'iris', name: 'iris-v1', status: 'Creating' })]);
    mocked.setEndpointTraffic.mockResolvedValue({ ...ep, traffic: { 'iris-v1': 100 } });
    const model = new EndpointsModel({ auto: false });
    const notices: string[] = [];
    model.notices.connect((_, n) => notices.push(`${n.kind}:${n.deployment}`));
    await model.deploy({
      endpoint: 'iris',
      createEndpoint: true,
      authMode: 'key',
      deployment: { name: 'iris-v1', model: 'iris:1', replicas: 1 },
      allTraffic: true
    });
    expect(mocked.createEndpoint).toHaveBeenCalledWith({ name: 'iris', auth_mode: 'key', description: '' });
    expect(mocked.createDeployment).toHaveBeenCalledWith('iris', { name: 'iris-v1', model: 'iris:1', replicas: 1 });
    expect(model.selected).toBe('iris');
    expect(model.pendingRoutes.get('iris')).toBe('iris-v1');
    expect(mocked.setEndpointTraffic).not.toHaveBeenCalled();

    mocked.listDeployments.mockResolvedValue({ items: [deployment({ endpoint: 'iris', name: 'iris-v1' })] });
    await model.refresh();
    expect(mocked.setEndpointTraffic).toHaveBeenCalledWith('iris', { 'iris-v1': 100 });
    expect(model.pendingRoutes.size).toBe(0);
    expect(notices).toEqual(['routed:iris-v1']);
    model.dispose();
  });

  it('says so when a deployment waiting for traffic fails', async () => {
    const ep = endpoint({ deployments: ['blue'] });
    mocked.createDeployment.mockResolvedValue(deployment({ status: 'Creating' }));
    serveEndpoint(ep, [deployment({ status: 'Failed', error: 'ModuleNotFoundError: sklearn' })]);
    const model = new EndpointsModel({ auto: false });
    const notices: string[] = [];
    model.notices.connect((_, n) => notices.push(n.message));
    await model.deploy({
      endpoint: 'iris-ep',
      createEndpoint: false,
      authMode: 'key',
      deployment: { name: 'blue', model: 'iris:1', replicas: 1 },
      allTraffic: true
    });
    expect(notices).toEqual([expect.stringMatching(/failed: ModuleNotFoundError: sklearn/)]);
    expect(mocked.setEndpointTraffic).not.toHaveBeenCalled();
    model.dispose();
  });

  it('edits traffic locally and sends it only when it adds up', async () => {
    const ep = endpoint({ deployments: ['blue', 'green'], traffic: { blue: 100, green: 0 } });
    serveEndpoint(ep, [deployment(), deployment({ name: 'green', model_version: '2' })]);
    mocked.setEndpointTraffic.mockResolvedValue({ ...ep, traffic: { blue: 80, green: 20 } });
    const model = new EndpointsModel({ auto: false });
    await model.select('iris-ep');
    model.setTraffic('green', 20);
    expect(model.traffic).toEqual({ blue: 80, green: 20 });
    expect(model.trafficDirty).toBe(true);
    await model.applyTraffic();
    expect(mocked.setEndpointTraffic).toHaveBeenCalledWith('iris-ep', { blue: 80, green: 20 });
    expect(model.trafficDirty).toBe(false);
    model.dispose();
  });

  it('sends test requests and keeps the response', async () => {
    serveEndpoint(endpoint({ deployments: ['blue'] }), [deployment()]);
    mocked.invokeEndpoint.mockResolvedValue({ status: 200, body: { predictions: [0] }, deployment: 'blue', latency_ms: 3.2 });
    const model = new EndpointsModel({ auto: false });
    await model.select('iris-ep');
    await expect(model.invoke('{nope', '/invocations', null)).rejects.toThrow(/not valid JSON/);
    expect(mocked.invokeEndpoint).not.toHaveBeenCalled();
    await model.invoke('{"inputs": [[1, 2, 3, 4]]}', '/invocations', 'blue');
    expect(mocked.invokeEndpoint).toHaveBeenCalledWith('iris-ep', {
      data: { inputs: [[1, 2, 3, 4]] },
      path: '/invocations',
      deployment: 'blue'
    });
    expect(model.lastResponse?.body).toEqual({ predictions: [0] });
    model.dispose();
  });
});

describe('mirror traffic', () => {
  const ep = endpoint({
    deployments: ['blue', 'green', 'teal'],
    traffic: { blue: 100 },
    mirror_traffic: { teal: 20 }
  });

  it('starts from the mirrored deployment, else the first one without live traffic', () => {
    expect(initialMirrorForm(ep)).toEqual({ deployment: 'teal', percent: '20' });
    expect(initialMirrorForm({ ...ep, mirror_traffic: {} })).toEqual({ deployment: 'green', percent: '10' });
  });

  it('sends the whole table with the share set, and 0 removes it', () => {
    expect(validateMirrorForm({ deployment: 'green', percent: '10' }, ep).mirror).toEqual({ teal: 20, green: 10 });
    expect(validateMirrorForm({ deployment: 'teal', percent: '35' }, ep).mirror).toEqual({ teal: 35 });
    expect(validateMirrorForm({ deployment: 'teal', percent: '0' }, ep).mirror).toEqual({});
  });

  it('says why the server would refuse, before sending', () => {
    const live = validateMirrorForm({ deployment: 'blue', percent: '10' }, ep);
    expect(live.mirror).toBeUndefined();
    expect(live.errors.deployment).toMatch(/"blue" takes 100% of the live traffic.*not both/);
    const over = validateMirrorForm({ deployment: 'green', percent: '40' }, ep);
    expect(over.errors.percent).toMatch(/At most 50%.*20% already go to teal: use 30% or less/);
    expect(validateMirrorForm({ deployment: 'teal', percent: '51' }, ep).errors.percent).toMatch(/At most 50%/);
    expect(validateMirrorForm({ deployment: 'green', percent: '2.5' }, ep).errors.percent).toMatch(/whole percent/);
    expect(validateMirrorForm({ deployment: 'green', percent: '' }, ep).errors.percent).toMatch(/whole percent/);
    expect(validateMirrorForm({ deployment: 'gone', percent: '5' }, ep).errors.deployment).toMatch(/no deployment "gone"/);
  });

  it('live traffic cannot go to a mirrored deployment', () => {
    expect(trafficError({ blue: 80, teal: 20 }, { teal: 20 })).toMatch(/"teal" already gets mirrored requests/);
    expect(trafficError({ blue: 100, teal: 0 }, { teal: 20 })).toBeNull();
  });

  it('summarizes the mirror for the endpoint line', () => {
    expect(mirrorSummary({ teal: 20, green: 0 })).toBe('mirror teal 20%');
    expect(mirrorSummary({})).toBe('');
  });

  it('the model sends the table and shows the endpoint the server answers', async () => {
    serveEndpoint(ep, [deployment(), deployment({ name: 'green' }), deployment({ name: 'teal', mirror_traffic: 20 })]);
    mocked.setEndpointMirror.mockResolvedValue({ ...ep, mirror_traffic: { green: 10 } });
    const model = new EndpointsModel({ auto: false });
    await model.select('iris-ep');
    expect(model.mirror).toEqual({ teal: 20 });
    mocked.listEndpoints.mockResolvedValue({ items: [{ ...ep, mirror_traffic: { green: 10 } }], next_cursor: null });
    await model.setMirror({ green: 10 });
    expect(mocked.setEndpointMirror).toHaveBeenCalledWith('iris-ep', { green: 10 });
    expect(model.mirror).toEqual({ green: 10 });
    model.dispose();
  });
});

describe('editing a deployment', () => {
  const current = deployment({
    model: 'iris@champion',
    replicas: 1,
    request_settings: { request_timeout_ms: 5000, max_concurrent_requests: 64, max_queue_wait_ms: 500, max_batch_size: 8 },
    environment_variables: { OMP_NUM_THREADS: '1' }
  });

  it('starts from the deployment as it is', () => {
    expect(initialDeploymentEditForm(current)).toEqual({
      model: 'iris@champion',
      replicas: '1',
      requestTimeoutMs: '5000',
      maxConcurrentRequests: '64',
      maxQueueWaitMs: '500',
      environment: 'OMP_NUM_THREADS=1'
    });
  });

  it('sends only what changed; request settings whole, keeping the fields the form does not show', () => {
    const form = initialDeploymentEditForm(current);
    expect(validateDeploymentEditForm({ ...form, replicas: '3' }, current)).toEqual({ errors: {}, body: { replicas: 3 } });
    expect(validateDeploymentEditForm({ ...form, model: ' iris:2 ', requestTimeoutMs: '800' }, current).body).toEqual({
      model: 'iris:2',
      request_settings: { request_timeout_ms: 800, max_concurrent_requests: 64, max_queue_wait_ms: 500, max_batch_size: 8 }
    });
    expect(
      validateDeploymentEditForm({ ...form, environment: '# threads\nOMP_NUM_THREADS=2\n\nMODE = fast' }, current).body
    ).toEqual({ environment_variables: { OMP_NUM_THREADS: '2', MODE: 'fast' } });
    expect(validateDeploymentEditForm({ ...form, environment: '' }, current).body).toEqual({ environment_variables: {} });
  });

  it('says what to fix, and that nothing changed', () => {
    const form = initialDeploymentEditForm(current);
    const bad = validateDeploymentEditForm(
      {
        ...form,
        model: 'iris:latest',
        replicas: '0',
        requestTimeoutMs: '0',
        maxConcurrentRequests: 'many',
        maxQueueWaitMs: '-1',
        environment: '1BAD=x'
      },
      current
    );
    expect(bad.body).toBeUndefined();
    expect(bad.errors.model).toMatch(/must be a number/);
    expect(bad.errors.replicas).toMatch(/1 to 32/);
    expect(bad.errors.requestTimeoutMs).toMatch(/1 to 600000/);
    expect(bad.errors.maxConcurrentRequests).toMatch(/1 to 10000/);
    expect(bad.errors.maxQueueWaitMs).toMatch(/0 to 600000/);
    expect(bad.errors.environment).toMatch(/Line 1: write NAME=value/);
    expect(validateDeploymentEditForm(form, current)).toEqual({ errors: { form: expect.stringMatching(/Nothing changed/) } });
  });

  it('reads and writes environment variables one a line', () => {
    expect(parseEnvironment('A=1\nB=x=y')).toEqual({ A: '1', B: 'x=y' });
    expect(() => parseEnvironment('A=1\nA=2')).toThrow(/Line 2: A is set twice/);
    expect(() => parseEnvironment('just text')).toThrow(/Line 1/);
    expect(formatEnvironment({ A: '1', B: 'x' })).toBe('A=1\nB=x');
  });

  it('the model shows Updating at once and says when the new version serves', async () => {
    const ep = endpoint({ deployments: ['blue'], traffic: { blue: 100 } });
    serveEndpoint(ep, [current]);
    const model = new EndpointsModel({ auto: false });
    await model.select('iris-ep');
    const notices: string[] = [];
    model.notices.connect((_, n) => notices.push(`${n.kind}:${n.message}`));
    const updating = deployment({ ...current, replicas: 3, status: 'Updating', ready_workers: 1 });
    mocked.updateDeployment.mockResolvedValue(updating);
    mocked.listDeployments.mockResolvedValue({ items: [updating] });
    await model.updateDeployment('iris-ep', 'blue', { replicas: 3 });
    expect(mocked.updateDeployment).toHaveBeenCalledWith('iris-ep', 'blue', { replicas: 3 });
    expect(model.deployments[0].status).toBe('Updating');
    expect(model.updating.has('iris-ep/blue')).toBe(true);
    expect(model.poll.frequency.interval).toBe(EndpointsModel.BUSY_MS);
    expect(notices).toEqual([]);

    mocked.listDeployments.mockResolvedValue({ items: [{ ...updating, status: 'Healthy', ready_workers: 3 }] });
    await model.refresh();
    expect(model.updating.size).toBe(0);
    expect(notices).toEqual([expect.stringMatching(/^updated:.*"blue" of "iris-ep" is updated and healthy.*3 replicas/)]);
    model.dispose();
  });

  it('says so when the update fails', async () => {
    serveEndpoint(endpoint({ deployments: ['blue'] }), [current]);
    const model = new EndpointsModel({ auto: false });
    await model.select('iris-ep');
    const notices: string[] = [];
    model.notices.connect((_, n) => notices.push(`${n.kind}:${n.message}`));
    mocked.updateDeployment.mockResolvedValue({ ...current, status: 'Updating' });
    mocked.listDeployments.mockResolvedValue({ items: [{ ...current, status: 'Failed', error: 'no version 9' }] });
    await model.updateDeployment('iris-ep', 'blue', { model: 'iris:9' });
    expect(notices).toEqual([expect.stringMatching(/^failed:.*previous version serves meanwhile.*no version 9/)]);
    model.dispose();
  });

  it('the form shows a refusal on top and edits fields', () => {
    const onChange = jest.fn();
    const form = initialDeploymentEditForm(current);
    const { container } = render(
      <DeploymentEditForm value={form} errors={{ form: 'model iris:9 not found', replicas: 'Replicas: 1 to 32.' }} onChange={onChange} />
    );
    expect(container.querySelector('[data-field="form"]')!.textContent).toBe('model iris:9 not found');
    expect(container.querySelector('[data-field="replicas"]')!.textContent).toBe('Replicas: 1 to 32.');
    fireEvent.change(container.querySelector('input[name="replicas"]')!, { target: { value: '4' } });
    expect(onChange).toHaveBeenCalledWith({ ...form, replicas: '4' });
    expect((container.querySelector('textarea[name="environment"]') as HTMLTextAreaElement).value).toBe(
      'OMP_NUM_THREADS=1'
    );
  });
});

describe('DeploymentLogsModel', () => {
  it('reads the log by offset and appends', async () => {
    mocked.getDeploymentLogs
      .mockResolvedValueOnce({ text: 'loading model\n', offset: 14, size: 14, complete: false })
      .mockResolvedValueOnce({ text: 'ready\n', offset: 20, size: 20, complete: false });
    const model = new DeploymentLogsModel({ endpoint: 'iris', deployment: 'blue', auto: false });
    await model.refresh();
    await model.refresh();
    expect(mocked.getDeploymentLogs.mock.calls.map(c => c[2])).toEqual([0, 14]);
    expect(model.text).toBe('loading model\nready\n');
    model.dispose();
  });
});

// ---- views -------------------------------------------------------------------------------

describe('ModelsSection', () => {
  it('shows versions with aliases, the lineage link to the job, and Deploy', async () => {
    mocked.listModels.mockResolvedValue({
      items: [registered({ latest_version: '2', aliases: { champion: '2' } })],
      next_cursor: null
    });
    mocked.getModel.mockResolvedValue(
      registered({ versions: [version({ version: '2', aliases: ['champion'] }), version()] })
    );
    mocked.getModelVersion.mockResolvedValue(
      version({ version: '2', lineage: { job_id: 'job-123', run_id: 'run1', experiment: 'iris-exp', params: { C: '0.5' }, metrics: { accuracy: 0.96 } } })
    );
    const model = new RegistryModel({ auto: false });
    const props = {
      onRegister: jest.fn(),
      onDeploy: jest.fn(),
      onAddAlias: jest.fn(),
      onRemoveAlias: jest.fn(),
      onOpenJob: jest.fn()
    };
    render(<ModelsSection model={model} {...props} />);
    await React.act(() => model.refresh());
    expect(screen.getByText('@champion → v2')).toBeTruthy();
    await React.act(() => model.toggle('iris'));
    fireEvent.click(screen.getByLabelText('Deploy iris:2'));
    expect(props.onDeploy).toHaveBeenCalledWith(expect.objectContaining({ name: 'iris', version: '2' }));
    fireEvent.click(screen.getByLabelText('Remove alias champion'));
    expect(props.onRemoveAlias).toHaveBeenCalledWith('iris', 'champion');

    await React.act(() => model.select('iris', '2'));
    expect(screen.getByText('iris-exp')).toBeTruthy();
    expect(screen.getByText('0.9600')).toBeTruthy();
    fireEvent.click(screen.getByTitle('Open job job-123'));
    expect(props.onOpenJob).toHaveBeenCalledWith('job-123');
    model.dispose();
  });
});

describe('EndpointsSection', () => {
  it('shows health, figures, masked keys, a traffic slider and a test request', async () => {
    const ep = endpoint({ deployments: ['blue', 'green'], traffic: { blue: 100, green: 0 } });
    serveEndpoint(ep, [deployment(), deployment({ name: 'green', status: 'Creating', ready_workers: 0 })], {
      blue: { requests: 42, errors: 0, p50_ms: 3.25, p99_ms: 18 }
    });
    mocked.getEndpointKeys.mockResolvedValue({ primary: 'primary-secret-1234', secondary: 'secondary-secret-5678' });
    mocked.invokeEndpoint.mockResolvedValue({ status: 200, body: { predictions: [2] }, deployment: 'blue', latency_ms: 4 });
    const model = new EndpointsModel({ auto: false });
    const props = {
      onCreate: jest.fn(),
      onDelete: jest.fn(),
      onDeleteDeployment: jest.fn(),
      onEditDeployment: jest.fn(),
      onOpenLogs: jest.fn(),
      onRegenerateKey: jest.fn(),
      onCopy: jest.fn(),
      onError: jest.fn()
    };
    const { container } = render(<EndpointsSection model={model} {...props} />);
    await React.act(() => model.refresh());
    expect(screen.getByText('blue 100%')).toBeTruthy();
    fireEvent.click(screen.getByLabelText('Open endpoint iris-ep'));
    await React.act(() => model.refresh());

    const blue = container.querySelector('[data-deployment="blue"]')!;
    expect(blue.querySelector('[data-status="Healthy"]')).toBeTruthy();
    expect(blue.textContent).toContain('42 req');
    expect(blue.textContent).toContain('p50 3.3 ms');
    expect(container.querySelector('[data-deployment="green"] [data-status="Creating"]')).toBeTruthy();

    // traffic: moving green's slider moves blue's, and Apply appears
    fireEvent.change(screen.getByLabelText('Traffic to green'), { target: { value: '25' } });
    expect((screen.getByLabelText('Traffic percent to blue') as HTMLInputElement).value).toBe('75');
    expect(screen.getByText('Apply traffic')).toBeTruthy();

    // keys: masked until revealed, copyable
    await React.act(async () => {
      fireEvent.click(screen.getByText('Show keys'));
    });
    expect(container.textContent).toContain(maskKey('primary-secret-1234'));
    expect(container.textContent).not.toContain('primary-secret-1234');
    fireEvent.click(screen.getByLabelText('Reveal the primary key'));
    expect(container.textContent).toContain('primary-secret-1234');
    fireEvent.click(screen.getByLabelText('Copy the secondary key'));
    expect(props.onCopy).toHaveBeenCalledWith('secondary-secret-5678', expect.any(String));

    // test request
    await React.act(async () => {
      fireEvent.click(screen.getByText('Send'));
    });
    const response = container.querySelector('.jp-mlservice-test-response')!;
    expect(response.getAttribute('data-status-code')).toBe('200');
    expect(response.textContent).toContain('"predictions"');
    expect(response.textContent).toContain('from blue');

    fireEvent.click(screen.getByLabelText('Delete deployment green'));
    expect(props.onDeleteDeployment).toHaveBeenCalledWith('iris-ep', 'green');
    fireEvent.click(screen.getByLabelText('Edit deployment blue'));
    expect(props.onEditDeployment).toHaveBeenCalledWith('iris-ep', 'blue');
    model.dispose();
  });

  it('sets and stops mirror traffic, and shows why a share is refused', async () => {
    const ep = endpoint({ deployments: ['blue', 'green'], traffic: { blue: 100 } });
    serveEndpoint(ep, [deployment(), deployment({ name: 'green' })]);
    const model = new EndpointsModel({ auto: false });
    const props = {
      onCreate: jest.fn(),
      onDelete: jest.fn(),
      onDeleteDeployment: jest.fn(),
      onEditDeployment: jest.fn(),
      onOpenLogs: jest.fn(),
      onRegenerateKey: jest.fn(),
      onCopy: jest.fn(),
      onError: jest.fn()
    };
    const { container } = render(<EndpointsSection model={model} {...props} />);
    await React.act(() => model.select('iris-ep'));
    expect(container.querySelector('.jp-mlservice-mirror-current')!.textContent).toMatch(/^Off/);
    const select = container.querySelector('.jp-mlservice-mirror-deployment select') as HTMLSelectElement;
    expect(select.value).toBe('green');

    // caught before sending: blue takes live traffic
    fireEvent.change(select, { target: { value: 'blue' } });
    fireEvent.click(screen.getByText('Set mirror'));
    expect(container.querySelector('[data-field="mirror-deployment"]')!.textContent).toMatch(/not both/);
    expect(mocked.setEndpointMirror).not.toHaveBeenCalled();

    // refused by the server: its message shows in place
    fireEvent.change(select, { target: { value: 'green' } });
    fireEvent.change(screen.getByLabelText('Percent of requests to mirror'), { target: { value: '15' } });
    mocked.setEndpointMirror.mockRejectedValueOnce(
      new api.MLServiceError('deployment green has not served yet (status Creating); wait until it is Healthy', 409)
    );
    await React.act(async () => {
      fireEvent.click(screen.getByText('Set mirror'));
    });
    expect(mocked.setEndpointMirror).toHaveBeenCalledWith('iris-ep', { green: 15 });
    expect(container.querySelector('.jp-mlservice-mirror-problem')!.textContent).toMatch(/has not served yet/);

    // accepted: shown on the endpoint line, the deployment and the section
    const mirrored = { ...ep, mirror_traffic: { green: 15 } };
    mocked.setEndpointMirror.mockResolvedValueOnce(mirrored);
    serveEndpoint(mirrored, [deployment(), deployment({ name: 'green', mirror_traffic: 15 })]);
    await React.act(async () => {
      fireEvent.click(screen.getByText('Set mirror'));
    });
    expect(container.querySelector('.jp-mlservice-mirror-problem')).toBeNull();
    expect(container.querySelector('.jp-mlservice-mirror-summary')!.textContent).toBe('mirror green 15%');
    expect(container.querySelector('[data-deployment="green"] .jp-mlservice-deployment-mirror')!.textContent).toBe(
      'mirror 15%'
    );
    expect(container.querySelector('.jp-mlservice-mirror-current')!.textContent).toMatch(/Copies 15% of requests to green/);

    mocked.setEndpointMirror.mockResolvedValueOnce(ep);
    serveEndpoint(ep, [deployment(), deployment({ name: 'green' })]);
    await React.act(async () => {
      fireEvent.click(screen.getByText('Stop mirroring'));
    });
    expect(mocked.setEndpointMirror).toHaveBeenLastCalledWith('iris-ep', {});
    expect(container.querySelector('.jp-mlservice-mirror-summary')).toBeNull();
    model.dispose();
  });
});
