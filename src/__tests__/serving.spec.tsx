import { fireEvent, render, screen } from '@testing-library/react';
import * as React from 'react';

import * as api from '../api/client';
import type { Deployment, Endpoint } from '../api/client';
import { DeploymentEditForm } from '../areas/endpoints/commands';
import {
  NEW_ENDPOINT,
  adjustTraffic,
  chooseEndpoint,
  deploymentNameFor,
  formatEnvironment,
  initialDeployForm,
  initialDeploymentEditForm,
  initialMirrorForm,
  maskKey,
  mirrorSummary,
  parseEnvironment,
  parsePayload,
  trafficError,
  trafficSummary,
  validateDeployForm,
  validateDeploymentEditForm,
  validateEndpointForm,
  validateMirrorForm
} from '../areas/endpoints/forms';
import {
  DeploymentLogsModel,
  EndpointDetailModel,
  EndpointHealthModel,
  EndpointsModel,
  noticeFor
} from '../areas/endpoints/model';
import { EndpointView, IEndpointActions } from '../areas/endpoints/view';
import { aliasError, initialRegisterForm, validateRegisterForm } from '../areas/models/forms';
import { ModelDetailModel, RegistryModel, VersionDetailModel } from '../areas/models/model';
import { IModelActions, ModelView, VersionView, modelColumns } from '../areas/models/view';
import { EntityList } from '../components/EntityList';
import { ServiceEvents } from '../models/events';
import {
  deployment,
  detailHost,
  endpoint,
  modelVersion as version,
  registeredModel as registered,
  settle
} from './fixtures';

jest.mock('../api/client', () => jest.requireActual('./fixtures').mockClient());

const mocked = api as jest.Mocked<typeof api>;

beforeEach(() => jest.resetAllMocks());

/** One endpoint with its deployments and their metrics, all answered. */
function serveEndpoint(ep: Endpoint, deployments: Deployment[], metrics: Record<string, any> = {}) {
  mocked.listEndpoints.mockResolvedValue({ items: [ep], next_cursor: null });
  mocked.getEndpoint.mockResolvedValue(ep);
  mocked.listDeployments.mockResolvedValue({ items: deployments });
  mocked.getEndpointMetrics.mockResolvedValue({ deployments: metrics });
}

function endpointActions(): IEndpointActions & Record<string, jest.Mock> {
  return {
    deploy: jest.fn(),
    deleteEndpoint: jest.fn(),
    deleteDeployment: jest.fn(),
    editDeployment: jest.fn(),
    openLogs: jest.fn(),
    regenerateKey: jest.fn(),
    notifyError: jest.fn()
  };
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

  it('offers a new endpoint, which gives its first deployment all traffic by itself', () => {
    const form = initialDeployForm('iris:1', []);
    expect(form.endpoint).toBe(NEW_ENDPOINT);
    expect(form.newEndpoint).toBe('iris');
    expect(form.allTraffic).toBe(true);
    const checked = validateDeployForm(form, []);
    expect(checked.plan).toEqual({
      endpoint: 'iris',
      createEndpoint: true,
      authMode: 'key',
      deployment: { name: 'iris-v1', model: 'iris:1', replicas: 1 }
    });
  });

  it('adds to an existing endpoint without taking its traffic, or asks the server to move it all once healthy', () => {
    const ep = endpoint({ deployments: ['iris-v1'], traffic: { 'iris-v1': 100 } });
    const form = initialDeployForm('iris:2', [ep]);
    expect(form.endpoint).toBe('iris-ep');
    expect(form.deployment).toBe('iris-v2');
    expect(form.allTraffic).toBe(false);
    const plan = validateDeployForm(form, [ep]).plan!;
    expect(plan.createEndpoint).toBe(false);
    expect(plan.deployment.all_traffic).toBeUndefined();
    expect(validateDeployForm({ ...form, allTraffic: true }, [ep]).plan!.deployment).toEqual({
      name: 'iris-v2',
      model: 'iris:2',
      replicas: 1,
      all_traffic: true
    });
    // Choosing an endpoint without traffic ticks "all traffic" again.
    const idle = endpoint({ name: 'idle', deployments: [] });
    expect(chooseEndpoint(form, 'idle', [ep, idle]).allTraffic).toBe(true);
    expect(chooseEndpoint(form, 'iris-ep', [ep, idle]).allTraffic).toBe(false);
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
    const model = new EndpointDetailModel({ endpoint: 'iris-ep', auto: false });
    await model.refresh();
    expect(model.mirror).toEqual({ teal: 20 });
    const answered = { ...ep, mirror_traffic: { green: 10 } };
    mocked.setEndpointMirror.mockResolvedValue(answered);
    mocked.getEndpoint.mockResolvedValue(answered);
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

  it('the model watches an updated deployment and says when the new version serves', async () => {
    const events = new ServiceEvents(null);
    const model = new EndpointsModel({ auto: false, events, watchInterval: 10 });
    const notices: string[] = [];
    model.notices.connect((_, n) => notices.push(`${n.kind}:${n.message}`));
    const said: string[] = [];
    events.on('endpoint', e => said.push(`${e.endpoint}/${e.deployment} ${e.action}`));
    const updating = deployment({ ...current, replicas: 3, status: 'Updating', ready_workers: 1 });
    mocked.updateDeployment.mockResolvedValue(updating);
    mocked.listEndpoints.mockResolvedValue({ items: [], next_cursor: null });
    mocked.getDeployment.mockResolvedValue(updating);
    await model.updateDeployment('iris-ep', 'blue', { replicas: 3 });
    expect(mocked.updateDeployment).toHaveBeenCalledWith('iris-ep', 'blue', { replicas: 3 });
    expect(model.watched).toEqual(['iris-ep/blue']);
    expect(said).toEqual(['iris-ep/blue updated']); // an open view of the endpoint refreshes at once
    mocked.getDeployment.mockResolvedValue({ ...updating, status: 'Healthy', ready_workers: 3 });
    await settle(60);
    expect(model.watched).toEqual([]);
    expect(notices).toEqual([expect.stringMatching(/^updated:.*"blue" of "iris-ep" is updated and healthy.*3 replicas/)]);
    model.dispose();
  });

  it('says so when the update fails', () => {
    const failed = { ...current, status: 'Failed' as const, error: 'no version 9' };
    expect(noticeFor('update', failed)!.message).toMatch(/previous version serves meanwhile.*no version 9/);
    expect(noticeFor('update', { ...current, status: 'Unhealthy' as const })!.kind).toBe('failed');
    expect(noticeFor('update', { ...current, status: 'Updating' as const })).toBeNull();
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

// ---- the Models area -----------------------------------------------------------------------

describe('RegistryModel', () => {
  it('lists registered models a page at a time, and refreshes on model events', async () => {
    mocked.listModels.mockResolvedValue({ items: [registered({ name: 'a' }), registered()], next_cursor: 'c1' });
    const events = new ServiceEvents(null);
    const model = new RegistryModel({ auto: false, events });
    await model.refresh();
    expect(model.items.map(m => m.name)).toEqual(['a', 'iris']);
    expect(model.hasNext).toBe(true);
    events.emit('model', { name: 'iris', version: '2', action: 'registered', alias: null });
    await settle(20);
    expect(mocked.listModels).toHaveBeenCalledTimes(2);
    model.dispose();
  });

  it('registers, sets and removes aliases, checking an alias before sending', async () => {
    const events = new ServiceEvents(null);
    const said: string[] = [];
    events.on('model', e => said.push(`${e.name} ${e.action} ${e.alias ?? ''}`.trim()));
    const model = new RegistryModel({ auto: false, events });
    mocked.listModels.mockResolvedValue({ items: [], next_cursor: null });
    mocked.registerModel.mockResolvedValue(version({ version: '2' }));
    mocked.setModelAlias.mockResolvedValue(version({ aliases: ['prod'] }));
    expect((await model.register({ name: 'iris', job_id: 'j' })).version).toBe('2');
    await model.setAlias('iris', 'prod', '1');
    expect(mocked.setModelAlias).toHaveBeenCalledWith('iris', 'prod', '1');
    await expect(model.setAlias('iris', 'latest', '1')).rejects.toThrow(/reserved/);
    await model.removeAlias('iris', 'prod');
    expect(mocked.deleteModelAlias).toHaveBeenCalledWith('iris', 'prod');
    expect(said).toEqual(['iris registered', 'iris alias prod', 'iris alias prod']);
    model.dispose();
  });

  it('deletes a model (gone from the list at once) or one version, and says so to every view', async () => {
    const events = new ServiceEvents(null);
    const said: string[] = [];
    events.on('model', e => said.push(`${e.name}:${e.version ?? '*'} ${e.action}`));
    const model = new RegistryModel({ auto: false, events });
    mocked.listModels.mockResolvedValue({ items: [registered({ name: 'iris' }), registered({ name: 'wine' })], next_cursor: null });
    await model.refresh();
    model.select([model.find('iris')!]);
    await model.removeVersion('wine', '3');
    expect(mocked.deleteModelVersion).toHaveBeenCalledWith('wine', '3');
    await model.remove('iris');
    expect(mocked.deleteModel).toHaveBeenCalledWith('iris');
    expect(model.items.map(m => m.name)).toEqual(['wine']);
    expect(model.selected).toEqual([]);
    expect(said).toEqual(['wine:3 deleted', 'iris:* deleted']);
    model.dispose();
  });

  it('one model’s view reads its versions; one version’s view its lineage', async () => {
    mocked.getModel.mockResolvedValue(registered({ versions: [version({ version: '2', aliases: ['champion'] }), version()] }));
    mocked.getModelVersion.mockResolvedValue(version({ lineage: { job_id: 'job1', params: { C: '1' } } }));
    const detail = new ModelDetailModel({ model: 'iris', auto: false });
    await detail.refresh();
    expect(detail.versions.map(v => v.version)).toEqual(['2', '1']);
    const one = new VersionDetailModel({ model: 'iris', version: '1', auto: false });
    await one.refresh();
    expect(mocked.getModelVersion).toHaveBeenCalledWith('iris', '1');
    expect(one.modelVersion?.lineage).toMatchObject({ job_id: 'job1' });
    mocked.getModel.mockRejectedValue(new api.MLServiceError('no model', 404));
    await detail.refresh();
    expect(detail.gone).toBe(true);
    detail.dispose();
    one.dispose();
  });
});

describe('the Models views', () => {
  function actions(): IModelActions & Record<string, jest.Mock> {
    return {
      deploy: jest.fn(),
      addAlias: jest.fn(),
      removeAlias: jest.fn(),
      register: jest.fn(),
      deleteModel: jest.fn(),
      deleteVersion: jest.fn()
    };
  }

  it('the list shows each model’s latest version and its aliases (nothing where it has none)', async () => {
    mocked.listModels.mockResolvedValue({
      items: [registered({ name: 'iris', latest_version: '2', aliases: { champion: '2' } }), registered({ name: 'wine', aliases: {} })],
      next_cursor: null
    });
    const model = new RegistryModel({ auto: false });
    render(<EntityList model={model} label="Models" columns={modelColumns()} onOpen={jest.fn()} />);
    await React.act(() => model.refresh());
    expect(document.querySelector('tr[data-key="iris"] .jp-mlservice-alias')!.textContent).toBe('@champion → v2');
    expect(document.querySelector('tr[data-key="wine"] .jp-mlservice-alias')).toBeNull();
    model.dispose();
  });

  it('a model shows its versions with aliases, Deploy, and links to each version', async () => {
    mocked.getModel.mockResolvedValue(
      registered({ aliases: { champion: '2' }, versions: [version({ version: '2', aliases: ['champion'] }), version()] })
    );
    const model = new ModelDetailModel({ model: 'iris', auto: false });
    const acts = actions();
    const host = detailHost();
    const { container } = render(<ModelView model={model} actions={acts} host={host} />);
    await React.act(() => model.refresh());
    expect(screen.getByText('@champion → v2')).toBeTruthy();
    fireEvent.click(screen.getByLabelText('Deploy iris:2'));
    expect(acts.deploy).toHaveBeenCalledWith(expect.objectContaining({ name: 'iris', version: '2' }));
    fireEvent.click(screen.getByLabelText('Remove alias champion'));
    expect(acts.removeAlias).toHaveBeenCalledWith('iris', 'champion');
    fireEvent.click(screen.getByLabelText('Add an alias to iris:1'));
    expect(acts.addAlias).toHaveBeenCalledWith(expect.objectContaining({ version: '1' }));
    const link = container.querySelector('[data-version="1"] .jp-mlservice-version-name') as HTMLAnchorElement;
    expect(link.getAttribute('href')).toBe('http://localhost/lab/mlservice/models/iris/1');
    fireEvent.click(link);
    expect(host.open).toHaveBeenCalledWith('models/iris/1');
    fireEvent.click(screen.getByRole('button', { name: 'Delete' }));
    expect(acts.deleteModel).toHaveBeenCalledWith('iris');
    model.dispose();
  });

  it('a version shows where it came from, its job a link to the job’s view', async () => {
    mocked.getModelVersion.mockResolvedValue(
      version({
        version: '2',
        lineage: { job_id: 'job-123', run_id: 'run1', experiment: 'iris-exp', params: { C: '0.5' }, metrics: { accuracy: 0.96 } }
      })
    );
    const model = new VersionDetailModel({ model: 'iris', version: '2', auto: false });
    const host = detailHost();
    const acts = actions();
    render(<VersionView model={model} actions={acts} host={host} />);
    await React.act(() => model.refresh());
    expect(screen.getByText('iris-exp')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Delete version' }));
    expect(acts.deleteVersion).toHaveBeenCalledWith(expect.objectContaining({ name: 'iris', version: '2' }));
    expect(screen.getByText('0.9600')).toBeTruthy();
    fireEvent.click(screen.getByTitle('Open job job-123'));
    expect(host.open).toHaveBeenCalledWith('jobs/job-123');
    model.dispose();
  });
});

// ---- the Endpoints area --------------------------------------------------------------------

describe('EndpointsModel', () => {
  it('lists endpoints a page at a time (limit and cursor), and refreshes on endpoint events', async () => {
    mocked.listEndpoints.mockResolvedValue({ items: [endpoint()], next_cursor: 'n' });
    const events = new ServiceEvents(null);
    const model = new EndpointsModel({ auto: false, events, pageSize: 10 });
    await model.refresh();
    expect(mocked.listEndpoints).toHaveBeenCalledWith({ limit: 10, cursor: null });
    expect(model.hasNext).toBe(true);
    events.emit('endpoint', { endpoint: 'iris-ep', deployment: null, action: 'status', status: 'Healthy' });
    await settle(20);
    expect(mocked.listEndpoints).toHaveBeenCalledTimes(2);
    model.dispose();
  });

  it('deploys to a new endpoint and says when it serves, with the traffic it takes', async () => {
    mocked.listEndpoints.mockResolvedValue({ items: [], next_cursor: null });
    mocked.createEndpoint.mockResolvedValue(endpoint({ name: 'iris' }));
    const creating = deployment({ endpoint: 'iris', name: 'iris-v1', status: 'Creating' });
    mocked.createDeployment.mockResolvedValue(creating);
    mocked.getDeployment.mockResolvedValue(creating);
    const model = new EndpointsModel({ auto: false, watchInterval: 10 });
    const notices: string[] = [];
    model.notices.connect((_, n) => notices.push(`${n.kind}:${n.message}`));
    await model.deploy({
      endpoint: 'iris',
      createEndpoint: true,
      authMode: 'key',
      deployment: { name: 'iris-v1', model: 'iris:1', replicas: 1 }
    });
    expect(mocked.createEndpoint).toHaveBeenCalledWith({ name: 'iris', auth_mode: 'key', description: '' });
    expect(mocked.createDeployment).toHaveBeenCalledWith('iris', { name: 'iris-v1', model: 'iris:1', replicas: 1 });
    expect(model.watched).toEqual(['iris/iris-v1']);
    await settle(40);
    expect(notices).toEqual([]);
    // Routing is the server's: the UI never sets the traffic itself.
    mocked.getDeployment.mockResolvedValue({ ...creating, status: 'Healthy', traffic: 100 });
    await settle(60);
    expect(mocked.setEndpointTraffic).not.toHaveBeenCalled();
    expect(notices).toEqual(['ready:Deployment "iris-v1" is healthy and takes all traffic of "iris".']);
    model.dispose();
  });

  it('waits while the server has yet to route all traffic to a healthy deployment', () => {
    const healthy = deployment({ status: 'Healthy', traffic: 0 });
    expect(noticeFor('deploy', { ...healthy, all_traffic_pending: true })).toBeNull();
    expect(noticeFor('deploy', healthy)!.message).toMatch(/healthy; it takes 0% of the traffic/);
    expect(noticeFor('deploy', { ...healthy, status: 'Failed', error: 'ModuleNotFoundError: sklearn' })!.message).toMatch(
      /failed: ModuleNotFoundError: sklearn/
    );
  });

  it('deletes endpoints and deployments, forgetting what it watched there', async () => {
    mocked.listEndpoints.mockResolvedValue({ items: [], next_cursor: null });
    mocked.createDeployment.mockResolvedValue(deployment({ status: 'Creating' }));
    mocked.getDeployment.mockResolvedValue(deployment({ status: 'Creating' }));
    const model = new EndpointsModel({ auto: false });
    await model.deploy({ endpoint: 'iris-ep', createEndpoint: false, authMode: 'key', deployment: { name: 'blue', model: 'iris:1' } });
    await model.deleteDeployment('iris-ep', 'blue');
    expect(mocked.deleteDeployment).toHaveBeenCalledWith('iris-ep', 'blue');
    expect(model.watched).toEqual([]);
    await model.remove('iris-ep');
    expect(mocked.deleteEndpoint).toHaveBeenCalledWith('iris-ep');
    model.dispose();
  });
});

describe('EndpointDetailModel', () => {
  it('reads the endpoint with live figures, and a request rate between reads', async () => {
    let now = 1000;
    serveEndpoint(endpoint({ deployments: ['blue'], traffic: { blue: 100 } }), [deployment()], {
      blue: { requests: 10, errors: 1, p50_ms: 2.5, p99_ms: 12 }
    });
    const model = new EndpointDetailModel({ endpoint: 'iris-ep', auto: false, now: () => now });
    await model.refresh();
    expect(model.poll.frequency.interval).toBe(EndpointDetailModel.LIVE_MS);
    expect(model.deployments.map(d => d.name)).toEqual(['blue']);
    expect(model.figures('blue')).toEqual({ requests: 10, errors: 1, p50_ms: 2.5, p99_ms: 12, rate: null });
    expect(model.traffic).toEqual({ blue: 100 });
    now = 3000;
    mocked.getEndpointMetrics.mockResolvedValue({ deployments: { blue: { requests: 30, errors: 1, p50_ms: 2, p99_ms: 9 } } });
    await model.refresh();
    expect(model.figures('blue')?.rate).toBe(10);
    model.dispose();
  });

  it('edits traffic locally and sends it only when it adds up', async () => {
    const ep = endpoint({ deployments: ['blue', 'green'], traffic: { blue: 100, green: 0 } });
    serveEndpoint(ep, [deployment(), deployment({ name: 'green', model_version: '2' })]);
    // The server answers once the new split is rolled out: say it is being applied meanwhile.
    let answer: (value: any) => void = () => undefined;
    mocked.setEndpointTraffic.mockReturnValue(new Promise(resolve => (answer = resolve)));
    const model = new EndpointDetailModel({ endpoint: 'iris-ep', auto: false });
    await model.refresh();
    model.setTraffic('green', 20);
    expect(model.traffic).toEqual({ blue: 80, green: 20 });
    expect(model.trafficDirty).toBe(true);
    const applying = model.applyTraffic();
    expect(model.applyingTraffic).toBe(true);
    expect(mocked.setEndpointTraffic).toHaveBeenCalledWith('iris-ep', { blue: 80, green: 20 });
    answer({ ...ep, traffic: { blue: 80, green: 20 } });
    await applying;
    expect(model.applyingTraffic).toBe(false);
    expect(model.trafficDirty).toBe(false);
    model.dispose();
  });

  it('sends test requests and keeps the response', async () => {
    serveEndpoint(endpoint({ deployments: ['blue'] }), [deployment()]);
    mocked.invokeEndpoint.mockResolvedValue({ status: 200, body: { predictions: [0] }, deployment: 'blue', latency_ms: 3.2 });
    const model = new EndpointDetailModel({ endpoint: 'iris-ep', auto: false });
    await model.refresh();
    await expect(model.invoke('{nope', '/invocations', null)).rejects.toThrow(/not valid JSON/);
    expect(mocked.invokeEndpoint).not.toHaveBeenCalled();
    await model.invoke('{"inputs": [[1, 2, 3, 4]]}', '/invocations', 'blue');
    expect(mocked.invokeEndpoint).toHaveBeenCalledWith('iris-ep', { data: { inputs: [[1, 2, 3, 4]] }, path: '/invocations', deployment: 'blue' });
    expect(model.lastResponse?.body).toEqual({ predictions: [0] });
    model.dispose();
  });

  it('refreshes on its endpoint’s events only, and knows when the endpoint is gone', async () => {
    serveEndpoint(endpoint(), []);
    const events = new ServiceEvents(null);
    const model = new EndpointDetailModel({ endpoint: 'iris-ep', auto: false, events });
    events.emit('endpoint', { endpoint: 'other', deployment: null, action: 'updated', status: null });
    await settle(20);
    expect(mocked.getEndpoint).not.toHaveBeenCalled();
    mocked.getEndpoint.mockRejectedValue(new api.MLServiceError('no endpoint', 404));
    events.emit('endpoint', { endpoint: 'iris-ep', deployment: null, action: 'deleted', status: null });
    await settle(20);
    expect(model.gone).toBe(true);
    model.dispose();
  });

  it('the health model sums requests and errors of every deployment', async () => {
    mocked.listEndpoints.mockResolvedValue({ items: [endpoint(), endpoint({ name: 'quiet' })], next_cursor: null });
    mocked.getEndpointMetrics.mockImplementation(async (name: string) =>
      (name === 'quiet' ? { deployments: {} } : { deployments: { a: { requests: 30, errors: 3 }, b: { requests: 10, errors: 1 } } }) as any
    );
    const model = new EndpointHealthModel({ auto: false });
    await model.refresh();
    expect(model.items.map(h => [h.endpoint.name, h.requests, h.errors, h.errorRate])).toEqual([
      ['iris-ep', 40, 4, 0.1],
      ['quiet', 0, 0, null]
    ]);
    model.dispose();
  });
});

describe('EndpointView', () => {
  it('shows health, figures, masked keys, a traffic slider and a test request', async () => {
    const ep = endpoint({ deployments: ['blue', 'green'], traffic: { blue: 100, green: 0 } });
    serveEndpoint(ep, [deployment(), deployment({ name: 'green', status: 'Creating', ready_workers: 0, all_traffic_pending: true })], {
      blue: { requests: 42, errors: 0, p50_ms: 3.25, p99_ms: 18 }
    });
    mocked.getEndpointKeys.mockResolvedValue({ primary: 'primary-secret-1234', secondary: 'secondary-secret-5678' });
    mocked.invokeEndpoint.mockResolvedValue({ status: 200, body: { predictions: [2] }, deployment: 'blue', latency_ms: 4 });
    const model = new EndpointDetailModel({ endpoint: 'iris-ep', auto: false });
    const actions = endpointActions();
    const host = detailHost();
    const { container } = render(<EndpointView model={model} actions={actions} host={host} />);
    await React.act(() => model.refresh());
    expect(container.querySelector('.jp-mlservice-traffic-summary')!.textContent).toBe('blue 100%');
    // its monitoring view (traffic over time, its monitors) is a link away
    fireEvent.click(container.querySelector('.jp-mlservice-endpoint-monitoring-link')!);
    expect(host.open).toHaveBeenCalledWith('monitoring/endpoints/iris-ep');

    const blue = container.querySelector('[data-deployment="blue"]')!;
    expect(blue.querySelector('[data-status="Healthy"]')).toBeTruthy();
    expect(blue.textContent).toContain('42 req');
    expect(blue.textContent).toContain('p50 3.3 ms');
    const green = container.querySelector('[data-deployment="green"]')!;
    expect(green.querySelector('[data-status="Creating"]')).toBeTruthy();
    expect(green.querySelector('.jp-mlservice-all-traffic-pending')).toBeTruthy();

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
    expect(host.copy).toHaveBeenCalledWith('secondary-secret-5678', expect.any(String));

    // test request
    await React.act(async () => {
      fireEvent.click(screen.getByText('Send'));
    });
    const response = container.querySelector('.jp-mlservice-test-response')!;
    expect(response.getAttribute('data-status-code')).toBe('200');
    expect(response.textContent).toContain('"predictions"');
    expect(response.textContent).toContain('from blue');

    fireEvent.click(screen.getByLabelText('Delete deployment green'));
    expect(actions.deleteDeployment).toHaveBeenCalledWith('iris-ep', 'green');
    fireEvent.click(screen.getByLabelText('Edit deployment blue'));
    expect(actions.editDeployment).toHaveBeenCalledWith('iris-ep', 'blue');
    fireEvent.click(screen.getByText('Deploy a model'));
    expect(actions.deploy).toHaveBeenCalledWith('iris-ep');
    model.dispose();
  });

  it('sets and stops mirror traffic, and shows why a share is refused', async () => {
    const ep = endpoint({ deployments: ['blue', 'green'], traffic: { blue: 100 } });
    serveEndpoint(ep, [deployment(), deployment({ name: 'green' })]);
    const model = new EndpointDetailModel({ endpoint: 'iris-ep', auto: false });
    const { container } = render(<EndpointView model={model} actions={endpointActions()} host={detailHost()} />);
    await React.act(() => model.refresh());
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
    expect(container.querySelector('[data-deployment="green"] .jp-mlservice-deployment-mirror')!.textContent).toBe('mirror 15%');
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
