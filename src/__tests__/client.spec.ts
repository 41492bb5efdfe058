import { ServerConnection } from '@jupyterlab/services';

import * as api from '../api/client';

function answer(status: number, body: unknown): Response {
  const text = body === undefined ? '' : JSON.stringify(body);
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: 'status text',
    text: async () => text
  } as unknown as Response;
}

describe('api client', () => {
  let makeRequest: jest.SpyInstance;

  beforeEach(() => {
    makeRequest = jest.spyOn(ServerConnection, 'makeRequest');
  });

  afterEach(() => makeRequest.mockRestore());

  it('builds every URL under mlservice/api with the query it is given', async () => {
    makeRequest.mockResolvedValue(answer(200, { items: [], next_cursor: null }));
    await api.listJobs({ status: 'Running', target: 'gpu a', experiment: null, limit: 10 });
    const url: string = makeRequest.mock.calls[0][0];
    expect(url).toMatch(/\/mlservice\/api\/jobs\?/);
    expect(url).toContain('status=Running');
    expect(url).toContain('target=gpu+a');
    expect(url).toContain('limit=10');
    expect(url).not.toContain('experiment=');
  });

  it('encodes names in paths and sends JSON bodies', async () => {
    makeRequest.mockResolvedValue(answer(200, {}));
    await api.updateTarget('a/b', { description: 'x' });
    const [url, init] = makeRequest.mock.calls[0];
    expect(url).toMatch(/\/mlservice\/api\/targets\/a%2Fb$/);
    expect(init.method).toBe('PATCH');
    expect(JSON.parse(init.body)).toEqual({ description: 'x' });
  });

  it("throws the server's message on an error status", async () => {
    makeRequest.mockResolvedValue(
      answer(409, { message: 'target "local" has running jobs', reason: 'Conflict' })
    );
    const failure = api.deleteTarget('local');
    await expect(failure).rejects.toThrow('target "local" has running jobs');
    await expect(failure).rejects.toMatchObject({ status: 409, reason: 'Conflict' });
  });

  it('accepts empty bodies (204)', async () => {
    makeRequest.mockResolvedValue(answer(204, undefined));
    await expect(api.deleteTarget('x')).resolves.toBeUndefined();
  });

  it('makes artifact download links without fetching', () => {
    const url = api.jobArtifactUrl('j1', 'outputs/model.pkl');
    expect(url).toMatch(/\/mlservice\/api\/jobs\/j1\/artifacts\/download\?path=outputs%2Fmodel.pkl$/);
    expect(makeRequest).not.toHaveBeenCalled();
  });
});
