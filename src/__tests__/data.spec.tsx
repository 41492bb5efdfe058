import { fireEvent, render, screen } from '@testing-library/react';
import * as React from 'react';

import * as api from '../api/client';
import type { DataLineage, LineageGraph } from '../api/client';
import { RegisterDataForm } from '../areas/data/commands';
import {
  dataAliasError,
  dataPath,
  dataRef,
  initialRegisterDataForm,
  registerHint,
  suggestDataName,
  validateRegisterDataForm
} from '../areas/data/forms';
import { DataAssetDetailModel, DataModel, DataVersionDetailModel } from '../areas/data/model';
import { cellText, dataVersionOf, hasJobData, histogramBins, jobData, readProfile } from '../areas/data/profile';
import { DataAssetView, DataVersionView, IDataActions, JobDataSection, dataColumns } from '../areas/data/view';
import { ServiceEvents } from '../models/events';
import { dataAsset, dataVersion, detailHost, fakeEventManager, job, settle } from './fixtures';

jest.mock('../api/client', () => jest.requireActual('./fixtures').mockClient());

const mocked = api as jest.Mocked<typeof api>;

beforeEach(() => jest.resetAllMocks());

const SCHEMA = 'https://events.jupyter.org/jupyter_mlservice/';

/** A profile as core/data/profile.py writes it: a number column, a text column, 100 rows. */
const PROFILE = {
  format: 'csv',
  files: 1,
  bytes: 2048,
  rows: 150,
  columns: [
    {
      name: 'sepal_length',
      type: 'double',
      kind: 'number',
      count: 150,
      nulls: 0,
      null_fraction: 0,
      distinct: 35,
      distinct_exact: true,
      min: 4.3,
      max: 7.9,
      mean: 5.84,
      std: 0.83,
      quantiles: { '0.5': 5.8, '0.05': 4.6, '0.95': 7.3 },
      histogram: { edges: [4.3, 5.5, 6.7, 7.9], counts: [59, 70, 21], estimated: false }
    },
    {
      name: 'species',
      type: 'string',
      kind: 'text',
      count: 149,
      nulls: 1,
      null_fraction: 0.006667,
      distinct: 3,
      distinct_exact: true,
      top_values: [
        { value: 'setosa', count: 50 },
        { value: 'versicolor', count: 50 },
        { value: 'virginica', count: 49 }
      ]
    }
  ],
  sample: Array.from({ length: 100 }, (_, i) => ({ sepal_length: 4 + i / 100, species: i === 3 ? null : 'setosa' }))
};

/** Lineage of iris@2: written by job-w, read by job-r, which trained iris-model:3, served by ep/blue. */
function lineage(): DataLineage {
  const node = (type: string, id: string, details: Record<string, unknown> = {}) => ({ type, id, details, missing: false });
  return {
    version: dataVersion({ version: 2, ref: 'data:iris@2' }),
    produced_by: [node('job', 'job-w', { display_name: 'make iris', status: 'Completed' })],
    jobs: [node('job', 'job-r', { display_name: 'train', status: 'Completed' })],
    models: [node('model_version', 'iris-model:3', { status: 'READY' })],
    deployments: [node('deployment', 'ep/blue', { status: 'Healthy' })],
    derived_data: [],
    graph: { root: node('data_version', 'iris@2'), nodes: [], edges: [] }
  };
}

function actions(): jest.Mocked<IDataActions> {
  return { addAlias: jest.fn(), removeAlias: jest.fn(), setArchived: jest.fn(), setVersionArchived: jest.fn(), computeProfile: jest.fn() };
}

describe('the register dialog', () => {
  it('names the asset after the file or folder chosen in the file browser', () => {
    expect(suggestDataName('data/iris.csv')).toBe('iris');
    expect(suggestDataName('raw/Sales 2026/')).toBe('Sales-2026');
    expect(suggestDataName('_tmp/@weird name.parquet')).toBe('weird-name');
    expect(initialRegisterDataForm('data/iris.csv')).toEqual({ name: 'iris', path: 'data/iris.csv', description: '', mode: 'copy' });
  });

  it('sends name, path, description and mode, or says what to change', () => {
    const ok = validateRegisterDataForm({ name: ' iris ', path: 'data/iris.csv', description: ' petals ', mode: 'reference' });
    expect(ok.body).toEqual({ name: 'iris', path: 'data/iris.csv', description: 'petals', mode: 'reference' });
    const bad = validateRegisterDataForm({ name: 'iris@2', path: ' ', description: '', mode: 'copy' });
    expect(bad.body).toBeUndefined();
    expect(bad.errors.name).toMatch(/letters, digits/);
    expect(bad.errors.path).toMatch(/file or folder/);
    expect(validateRegisterDataForm({ name: '', path: 'a.csv', description: '', mode: 'copy' }).errors.name).toBe('A name is required.');
  });

  it('says whether the name makes a new asset or a new version of one', () => {
    expect(registerHint('iris', ['iris'])).toMatch(/adds a version/);
    expect(registerHint('wine', ['iris'])).toMatch(/new data asset/);
  });

  it('checks aliases by the server’s rule and builds references and studio paths', () => {
    expect(dataAliasError('prod')).toBeUndefined();
    expect(dataAliasError('2')).toMatch(/starts with a letter/);
    expect(dataAliasError('')).toMatch(/required/);
    expect(dataRef({ name: 'iris', version: 2 })).toBe('data:iris@2');
    expect(dataPath('my data', 2)).toBe('data/my%20data/2');
    expect(dataPath('iris')).toBe('data/iris');
  });

  it('shows the path read-only and offers copy or reference', () => {
    const onChange = jest.fn();
    render(<RegisterDataForm value={initialRegisterDataForm('iris.csv')} errors={{}} onChange={onChange} existing={['iris']} />);
    expect((screen.getByLabelText('File or folder') as HTMLInputElement).readOnly).toBe(true);
    expect(screen.getByText(/adds a version to it/)).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Mode'), { target: { value: 'reference' } });
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ mode: 'reference', name: 'iris' }));
  });
});

describe('reading a profile and a job’s lineage', () => {
  it('reads columns, histograms and the preview, and survives a partial profile', () => {
    const view = readProfile(PROFILE)!;
    expect(view.rows).toBe(150);
    expect(view.sampleColumns).toEqual(['sepal_length', 'species']);
    expect(view.columns[0].bins).toEqual([
      { from: 4.3, to: 5.5, count: 59 },
      { from: 5.5, to: 6.7, count: 70 },
      { from: 6.7, to: 7.9, count: 21 }
    ]);
    expect(view.columns[0].quantiles.map(q => q[0])).toEqual(['0.05', '0.5', '0.95']);
    expect(view.columns[1].top[0]).toEqual({ value: 'setosa', count: 50 });
    expect(readProfile(null)).toBeNull();
    expect(readProfile({ files: 3 })).toMatchObject({ rows: null, columns: [], sample: [], byExtension: [], images: null });
    // A folder of images: files by type and pixel sizes, no rows.
    const images = readProfile({ files: 3, by_extension: { '.png': 2, '.jpg': 1 }, images: { width: { min: 28, max: 32 }, height: { min: 28, max: 28 } } })!;
    expect(images.byExtension).toEqual([['.png', 2], ['.jpg', 1]]);
    expect(images.images).toEqual({ width: [28, 32], height: [28, 28] });
    expect(histogramBins({ edges: [0, 1], counts: [1, 2] })).toEqual([]); // edges must be counts + 1
    expect(cellText(null)).toBe('');
    expect(cellText({ a: 1 })).toBe('{"a":1}');
    expect(dataVersionOf('my.data@12')).toEqual({ name: 'my.data', version: '12' });
    expect(dataVersionOf('iris:3')).toBeNull();
  });

  it('pairs a job’s inputs and outputs with the data versions its lineage recorded', () => {
    const spec = {
      inputs: { train: 'data:iris@prod', base: 'model:iris-model@champion', raw: '/srv/raw.csv' },
      outputs: { features: { type: 'folder', register_as: 'iris-features' } }
    };
    const edge = (src_type: string, src_id: string, dst_type: string, dst_id: string, relation: string, attrs: Record<string, unknown>) => ({
      src_type, src_id, dst_type, dst_id, relation, attrs, created_at: '2026-12-01T00:00:00Z'
    });
    const graph: LineageGraph = {
      root: { type: 'job', id: 'j1', details: {}, missing: false },
      nodes: [],
      edges: [
        edge('data_version', 'iris@2', 'job', 'j1', 'input', { input: 'train', digest: 'sha256:x' }),
        edge('model_version', 'iris-model:3', 'job', 'j1', 'input', { input: 'base' }),
        edge('job', 'j1', 'data_version', 'iris-features@1', 'output', { output: 'features' })
      ]
    };
    const withSpec = job({ id: 'j1', spec });
    expect(hasJobData(withSpec)).toBe(true);
    expect(hasJobData(job())).toBe(false);
    expect(jobData(withSpec, graph)).toEqual([
      { direction: 'input', name: 'train', given: 'data:iris@prod', version: { name: 'iris', version: '2' }, model: null },
      { direction: 'input', name: 'base', given: 'model:iris-model@champion', version: null, model: { name: 'iris-model', version: '3' } },
      { direction: 'input', name: 'raw', given: '/srv/raw.csv', version: null, model: null },
      { direction: 'output', name: 'features', given: 'folder → iris-features', version: { name: 'iris-features', version: '1' }, model: null }
    ]);
    // Before it starts nothing is resolved yet: the references as given.
    expect(jobData(withSpec, null).map(r => r.version)).toEqual([null, null, null, null]);
  });
});

describe('DataModel', () => {
  it('lists assets a page at a time and refreshes on the server’s data events', async () => {
    const { manager, emit } = fakeEventManager();
    const events = new ServiceEvents(manager);
    mocked.listDataAssets.mockResolvedValue({ items: [dataAsset()], next_cursor: null });
    const model = new DataModel({ auto: false, events });
    await model.refresh();
    expect(model.items.map(a => a.name)).toEqual(['iris']);
    expect(mocked.listDataAssets).toHaveBeenCalledWith({ limit: 25, cursor: null });
    mocked.listDataAssets.mockResolvedValue({ items: [dataAsset(), dataAsset({ name: 'wine' })], next_cursor: null });
    emit({ schema_id: `${SCHEMA}data`, name: 'wine', version: 1, action: 'registered', alias: null, status: null });
    await settle(10);
    expect(model.items.map(a => a.name)).toEqual(['iris', 'wine']);
    model.dispose();
    events.dispose();
  });

  it('registers, and tells open views unless identical content was already a version', async () => {
    const events = new ServiceEvents(null);
    const seen: string[] = [];
    events.on('data', e => seen.push(`${e.name}@${e.version} ${e.action}`));
    const model = new DataModel({ auto: false, events });
    mocked.createDataVersion.mockResolvedValueOnce(dataVersion({ version: 2 }));
    await model.register({ name: 'iris', path: 'iris.csv', mode: 'copy' });
    mocked.createDataVersion.mockResolvedValueOnce(dataVersion({ version: 2, deduplicated: true }));
    await model.register({ name: 'iris', path: 'iris.csv', mode: 'copy' });
    expect(mocked.createDataVersion).toHaveBeenCalledWith({ name: 'iris', path: 'iris.csv', mode: 'copy' });
    expect(seen).toEqual(['iris@2 registered']);
    await expect(model.setAlias('iris', '9lives', 2)).rejects.toThrow(/starts with a letter/);
    expect(mocked.setDataAlias).not.toHaveBeenCalled();
    model.dispose();
  });
});

describe('DataVersionDetailModel', () => {
  it('reads the version, its profile and its lineage; no profile asked for is not an error', async () => {
    mocked.getDataVersion.mockResolvedValue(dataVersion({ version: 2, profile_status: null }));
    mocked.getDataLineage.mockResolvedValue(lineage());
    const model = new DataVersionDetailModel({ asset: 'iris', version: '2', auto: false });
    await model.refresh();
    expect(model.dataVersion?.version).toBe(2);
    expect(model.profile).toBeNull();
    expect(mocked.getDataProfile).not.toHaveBeenCalled();
    expect(model.lineage?.jobs[0].id).toBe('job-r');
    expect(model.error).toBeNull();
    model.dispose();
  });

  it('says the version is gone on a 404', async () => {
    mocked.getDataVersion.mockRejectedValue(new api.MLServiceError('data asset iris has no version 9', 404));
    const model = new DataVersionDetailModel({ asset: 'iris', version: '9', auto: false });
    await model.refresh();
    expect(model.gone).toBe(true);
    expect(mocked.getDataLineage).not.toHaveBeenCalled();
    model.dispose();
  });
});

describe('the Data views', () => {
  it('lists kind, latest version, count and aliases', () => {
    const columns = dataColumns();
    const asset = dataAsset({ latest_version: 3, version_count: 3, aliases: { prod: 2 } });
    const { container } = render(
      <table>
        <tbody>
          <tr>
            {columns.map(c => (
              <td key={c.id}>{c.render(asset)}</td>
            ))}
          </tr>
        </tbody>
      </table>
    );
    expect(container.textContent).toContain('v3');
    expect(container.textContent).toContain('@prod → v2');
  });

  it('shows a version’s profile with a histogram per number column, the first 100 rows and lineage links', async () => {
    mocked.getDataVersion.mockResolvedValue(dataVersion({ version: 2, profile_status: 'Ready', aliases: ['prod'] }));
    mocked.getDataProfile.mockResolvedValue({
      name: 'iris', version: 2, status: 'Ready', job_id: 'job-p', error: null, profile: PROFILE, updated_at: '2026-12-01T00:00:00Z'
    });
    mocked.getDataLineage.mockResolvedValue(lineage());
    const model = new DataVersionDetailModel({ asset: 'iris', version: '2', auto: false });
    await model.refresh();
    const host = detailHost();
    const acts = actions();
    const { container } = render(<DataVersionView model={model} actions={acts} host={host} />);

    const histogram = container.querySelector('svg.jp-mlservice-histogram[data-column="sepal_length"]')!;
    expect(histogram.getAttribute('aria-label')).toMatch(/Histogram of sepal_length: 3 bins/);
    expect(histogram.querySelectorAll('rect')).toHaveLength(3);
    expect(container.querySelector('[data-column="species"] .jp-mlservice-top-values')!.textContent).toContain('versicolor');
    expect(container.querySelectorAll('.jp-mlservice-data-preview-table tbody tr')).toHaveLength(100);
    expect(container.querySelector('.jp-mlservice-data-ref')!.textContent).toBe('data:iris@1');

    const links = Array.from(container.querySelectorAll('.jp-mlservice-data-lineage a')).map(a => a.getAttribute('href'));
    expect(links).toEqual([
      'http://localhost/lab/mlservice/jobs/job-w',
      'http://localhost/lab/mlservice/jobs/job-r',
      'http://localhost/lab/mlservice/models/iris-model/3',
      'http://localhost/lab/mlservice/endpoints/ep'
    ]);
    fireEvent.click(screen.getByText('train'));
    expect(host.open).toHaveBeenCalledWith('jobs/job-r');

    fireEvent.click(screen.getByRole('button', { name: 'Profile again' }));
    expect(acts.computeProfile).toHaveBeenCalledWith(expect.objectContaining({ name: 'iris', version: 2 }));
    fireEvent.click(screen.getByRole('button', { name: 'Remove alias prod' }));
    expect(acts.removeAlias).toHaveBeenCalledWith('iris', 'prod');
    model.dispose();
  });

  it('says how to use a version no job has read yet', async () => {
    mocked.getDataVersion.mockResolvedValue(dataVersion());
    mocked.getDataLineage.mockResolvedValue({ ...lineage(), version: dataVersion(), produced_by: [], jobs: [], models: [], deployments: [] });
    const model = new DataVersionDetailModel({ asset: 'iris', version: '1', auto: false });
    await model.refresh();
    const { container } = render(<DataVersionView model={model} actions={actions()} host={detailHost()} />);
    expect(container.querySelector('.jp-mlservice-data-lineage')!.textContent).toContain('Give it to a job as data:iris@1');
    expect(screen.getByRole('button', { name: 'Profile' })).toBeTruthy();
    model.dispose();
  });

  it('lists an asset’s versions, each linked to its view', async () => {
    mocked.getDataAsset.mockResolvedValue(dataAsset({ latest_version: 2, version_count: 2 }));
    mocked.listDataVersions.mockResolvedValue({ items: [dataVersion({ version: 2 }), dataVersion({ version: 1, archived: true })], next_cursor: null });
    const model = new DataAssetDetailModel({ asset: 'iris', auto: false });
    await model.refresh();
    const acts = actions();
    const { container } = render(<DataAssetView model={model} actions={acts} host={detailHost()} />);
    const hrefs = Array.from(container.querySelectorAll('.jp-mlservice-version-name')).map(a => a.getAttribute('href'));
    expect(hrefs).toEqual(['http://localhost/lab/mlservice/data/iris/2', 'http://localhost/lab/mlservice/data/iris/1']);
    expect(container.querySelector('[data-version="1"]')!.textContent).toContain('archived');
    fireEvent.click(screen.getByRole('button', { name: 'Archive' }));
    expect(acts.setArchived).toHaveBeenCalledWith('iris', true);
    model.dispose();
  });

  it('a job’s view lists its data inputs, linked to the versions they resolved to', () => {
    const j = job({ id: 'j1', spec: { inputs: { train: 'data:iris' } } });
    const graph: LineageGraph = {
      root: { type: 'job', id: 'j1', details: {}, missing: false },
      nodes: [],
      edges: [{ src_type: 'data_version', src_id: 'iris@2', dst_type: 'job', dst_id: 'j1', relation: 'input', attrs: { input: 'train' }, created_at: '' }]
    };
    const host = detailHost();
    const { container } = render(<JobDataSection job={j} lineage={graph} host={host} />);
    const link = container.querySelector('.jp-mlservice-job-data-link')!;
    expect(link.textContent).toBe('iris@2');
    fireEvent.click(link);
    expect(host.open).toHaveBeenCalledWith('data/iris/2');
    expect(render(<JobDataSection job={job()} lineage={null} host={host} />).container.innerHTML).toBe('');
  });
});
