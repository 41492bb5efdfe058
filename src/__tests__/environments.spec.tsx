import { fireEvent, render, screen } from '@testing-library/react';
import * as React from 'react';

import * as api from '../api/client';
import type { Environment } from '../api/client';
import { environmentPath, requirementLines, validateEnvironmentForm } from '../areas/environments/forms';
import { EnvironmentDetailModel, EnvironmentVersionModel, EnvironmentsModel } from '../areas/environments/model';
import { EnvironmentVersionView, EnvironmentView } from '../areas/environments/view';
import { ServiceEvents } from '../models/events';
import { detailHost, fakeEventManager, settle } from './fixtures';

jest.mock('../api/client', () => jest.requireActual('./fixtures').mockClient());

const mocked = api as jest.Mocked<typeof api>;

beforeEach(() => jest.resetAllMocks());

function environment(overrides: Partial<Environment> = {}): Environment {
  return {
    name: 'sk',
    version: 1,
    reference: 'sk@1',
    description: '',
    source: 'requirements',
    requirements: ['scikit-learn==1.5.2'],
    resolved: ['joblib==1.4.2', 'numpy==2.1.3', 'scikit-learn==1.5.2'],
    key: '0123456789abcdef0123',
    python: '3.11',
    warnings: [],
    state: 'NotBuilt',
    error: null,
    created_at: '2026-12-01T00:00:00Z',
    ...overrides
  };
}

describe('the create-environment dialog', () => {
  it('sends requirements one per line, without comments, or says what to change', () => {
    expect(requirementLines('numpy<2\n\n# pinned\nscikit-learn==1.5.2  # the model\n').lines).toEqual(['numpy<2', 'scikit-learn==1.5.2']);
    const ok = validateEnvironmentForm({ name: 'sk', description: ' d ', requirements: 'numpy<2', build: true });
    expect(ok.body).toEqual({ name: 'sk', description: 'd', requirements: ['numpy<2'], build: true });
    const bad = validateEnvironmentForm({ name: '1sk', description: '', requirements: '--index-url http://x\nnumpy', build: false });
    expect(bad.body).toBeUndefined();
    expect(bad.errors.name).toMatch(/starting with a letter/);
    expect(bad.errors.requirements).toMatch(/pip option/);
    expect(environmentPath('my env', 2)).toBe('environments/my%20env/2');
  });
});

describe('Environment models', () => {
  it('the list is the latest version of each and refreshes on environment events', async () => {
    const { manager, emit } = fakeEventManager();
    const events = new ServiceEvents(manager);
    mocked.listEnvironments.mockResolvedValue({ items: [environment()], next_cursor: null });
    const model = new EnvironmentsModel({ auto: false, events });
    await model.refresh();
    mocked.listEnvironments.mockResolvedValue({ items: [environment({ state: 'Ready' })], next_cursor: null });
    emit({ schema_id: 'https://events.jupyter.org/jupyter_mlservice/environment', name: 'sk', version: 1, action: 'built', state: 'Ready' });
    await settle(10);
    expect(model.items[0].state).toBe('Ready');
    model.dispose();
    events.dispose();
  });

  it('a version reads its build log while it builds, and stops once built', async () => {
    mocked.getEnvironment.mockResolvedValue(environment({ state: 'Building' }));
    mocked.getEnvironmentLogs.mockResolvedValueOnce({ text: 'Collecting numpy\n', offset: 17, size: 17, complete: false });
    const model = new EnvironmentVersionModel({ environment: 'sk', version: '1', auto: false });
    await model.refresh();
    expect(model.log).toBe('Collecting numpy\n');
    expect(mocked.getEnvironmentLogs).toHaveBeenLastCalledWith('sk@1', 0);
    mocked.getEnvironment.mockResolvedValue(environment({ state: 'Ready' }));
    mocked.getEnvironmentLogs.mockResolvedValueOnce({ text: 'Successfully installed\n', offset: 40, size: 40, complete: true });
    await model.refresh();
    expect(mocked.getEnvironmentLogs).toHaveBeenLastCalledWith('sk@1', 17);
    expect(model.log).toBe('Collecting numpy\nSuccessfully installed\n');
    expect(model.logComplete).toBe(true);
    await model.refresh(); // settled: nothing read
    expect(mocked.getEnvironment).toHaveBeenCalledTimes(2);
    model.dispose();
  });

  it('an environment that does not exist is gone, not an error', async () => {
    mocked.getEnvironment.mockRejectedValue(new api.MLServiceError('no environment "x"', 404));
    const model = new EnvironmentDetailModel({ environment: 'x', auto: false });
    await model.refresh();
    expect(model.gone).toBe(true);
    expect(mocked.listEnvironments).not.toHaveBeenCalled();
    model.dispose();
  });
});

describe('the Environment views', () => {
  it('a version shows its requirements, its lock and a Build button; a failure says why', async () => {
    mocked.getEnvironment.mockResolvedValue(environment({ state: 'Failed', error: 'no-such-pkg==1: not found on the index' }));
    mocked.getEnvironmentLogs.mockResolvedValue({ text: 'ERROR: No matching distribution\n', offset: 32, size: 32, complete: true });
    const model = new EnvironmentVersionModel({ environment: 'sk', version: '1', auto: false });
    await model.refresh();
    const build = jest.fn();
    const { container } = render(<EnvironmentVersionView model={model} actions={{ build }} host={detailHost()} />);
    expect(container.querySelector('.jp-mlservice-environment-lock-text')!.textContent).toBe('joblib==1.4.2\nnumpy==2.1.3\nscikit-learn==1.5.2');
    expect(screen.getByText('Lock (3 packages)')).toBeTruthy();
    expect(container.querySelector('.jp-mlservice-environment-error')!.textContent).toContain('not found on the index');
    expect(container.querySelector('.jp-mlservice-log-text')!.textContent).toContain('No matching distribution');
    fireEvent.click(screen.getByRole('button', { name: 'Build' }));
    expect(build).toHaveBeenCalledWith(expect.objectContaining({ reference: 'sk@1' }));
    model.dispose();
  });

  it('an environment lists its versions, each linked to its view', async () => {
    mocked.getEnvironment.mockResolvedValue(environment({ version: 2, reference: 'sk@2' }));
    mocked.listEnvironments.mockResolvedValue({ items: [environment({ version: 2, reference: 'sk@2', state: 'Ready' }), environment()], next_cursor: null });
    const model = new EnvironmentDetailModel({ environment: 'sk', auto: false });
    await model.refresh();
    const { container } = render(<EnvironmentView model={model} host={detailHost()} />);
    expect(mocked.listEnvironments).toHaveBeenCalledWith({ name: 'sk', limit: 100 });
    const hrefs = Array.from(container.querySelectorAll('.jp-mlservice-version-name')).map(a => a.getAttribute('href'));
    expect(hrefs).toEqual(['http://localhost/lab/mlservice/environments/sk/2', 'http://localhost/lab/mlservice/environments/sk/1']);
    model.dispose();
  });
});
