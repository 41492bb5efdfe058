/**
 * The Automation area: a trigger made through the REST API on a data asset, listed, fired from
 * its view (a firing with its job, linked to the Jobs area); a real progressive rollout on an
 * endpoint with a deployment, held for approval, approved from its view and watched to Completed
 * with all traffic on the candidate. Waits on DOM attributes (data-state, data-traffic), never on time.
 */
import * as path from 'path';

import { expect, test } from './fixtures';
import { API, loadPage, openStudio, seriousViolations, setTheme } from './studio';

const SHOTS = path.resolve(__dirname, '..', 'screenshots');

/** Named apart from earlier runs' entities (the server's store outlives a retried worker). */
const STAMP = Date.now().toString(36);
const DATA = `ui-auto-${STAMP}`;
const TRIGGER = `ui-retrain-${STAMP}`;
const MODEL = `ui-auto-model-${STAMP}`;
const ENDPOINT = `ui-auto-${STAMP}`;

const CSV = ['x,y'].concat(Array.from({ length: 10 }, (_, i) => `${i},${i % 2}`)).join('\n');

/** A code job that trains a classifier and logs it as an MLflow model named "model". */
const TRAIN = `
import mlflow, mlflow.sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
X, y = load_iris(return_X_y=True, as_frame=True)
model = LogisticRegression(max_iter=300).fit(X, y)
mlflow.sklearn.log_model(model, name="model", input_example=X.head(2))
`;

const PAYLOAD = {
  dataframe_split: {
    columns: ['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)'],
    data: [[5.1, 3.5, 1.4, 0.2]]
  }
};

async function screenshots(page: any, name: string): Promise<void> {
  for (const theme of ['JupyterLab Light', 'JupyterLab Dark'] as const) {
    await setTheme(page, theme);
    await page.locator('#jp-mlservice-studio').screenshot({ path: path.join(SHOTS, `${name}-${theme === 'JupyterLab Dark' ? 'dark' : 'light'}.png`) });
  }
  await setTheme(page, 'JupyterLab Light');
}

test.afterAll(async ({ request }) => {
  // Stop the scoring processes and the trigger whatever happened.
  await request.delete(`${API}/endpoints/${ENDPOINT}`);
  await request.delete(`${API}/triggers/${TRIGGER}`);
});

test('a trigger made through the API is listed; Fire now from its view starts a job, linked from its firings', async ({ page, request, tmpPath }) => {
  test.setTimeout(300000);
  await page.contents.uploadContent(CSV, 'text', `${tmpPath}/${DATA}.csv`);
  const data = await request.post(`${API}/data`, { data: { name: DATA, path: `${tmpPath}/${DATA}.csv`, profile: false } });
  expect(data.status()).toBe(201);
  const created = await request.post(`${API}/triggers`, {
    data: {
      name: TRIGGER,
      description: 'retrain on each new version',
      on: { data: DATA },
      run: { kind: 'code', source: 'print("cause: {{ cause.ref }}")', experiment: 'ui-automation', display_name: 'retrain {{ cause.ref }}' }
    }
  });
  expect(created.status()).toBe(201);

  // Listed in the Triggers tab, enabled, never fired (what existed when it was made does not fire).
  const studio = await openStudio(page, 'automation');
  await page.evaluate(() => (window as any).jupyterapp.shell.collapseLeft());
  const area = studio.locator('.jp-mlservice-studio-content [data-area="automation"]');
  await expect(area).toHaveAttribute('data-tab', 'triggers');
  const row = area.locator(`tr[data-trigger="${TRIGGER}"]`);
  await expect(row).toHaveAttribute('data-enabled', 'true');
  await expect(row).toContainText(`data ${DATA}`);
  expect(await seriousViolations(page, '#jp-mlservice-studio')).toEqual([]);

  // Its view: settings, no firing yet; Fire now starts a job with the latest cause.
  await row.locator('a').first().click();
  const view = studio.locator(`.jp-mlservice-trigger-view[data-trigger="${TRIGGER}"]`);
  await expect(view).toBeVisible();
  await expect.poll(() => new URL(page.url()).pathname).toBe(`/lab/mlservice/automation/triggers/${TRIGGER}`);
  await expect(view.locator('.jp-mlservice-trigger-job')).toContainText('code: print("cause: {{ cause.ref }}")');
  await expect(view.locator('.jp-mlservice-trigger-firings')).toContainText('It has not fired yet.');
  await view.getByRole('button', { name: 'Fire now' }).click();
  const firing = view.locator('tr.jp-mlservice-firing').first();
  await expect(firing).toHaveAttribute('data-state', 'submitted');
  await expect(firing.locator('.jp-mlservice-firing-cause')).toContainText(`data:${DATA}@1`);
  const link = firing.locator('a.jp-mlservice-firing-job');
  const jobId = await firing.getAttribute('data-job-id');
  expect(jobId).toBeTruthy();
  await expect(link).toHaveText(jobId!);
  // The job's status follows it (job events), up to Completed.
  await expect(firing.locator('[data-status="Completed"]')).toBeVisible({ timeout: 120000 });
  expect(await seriousViolations(page, '#jp-mlservice-studio')).toEqual([]);

  // The link opens the job in the Jobs area; the job filled the template with the cause.
  await link.click();
  const job = studio.locator(`.jp-mlservice-job-view[data-job-id="${jobId}"]`);
  await expect(job).toBeVisible();
  await expect.poll(() => new URL(page.url()).pathname).toBe(`/lab/mlservice/jobs/${jobId}`);

  // The deep link restores the trigger's view on a fresh page; the list counts the firing.
  await loadPage(page, `/lab/mlservice/automation/triggers/${TRIGGER}`);
  const again = page.locator(`#jp-mlservice-studio .jp-mlservice-trigger-view[data-trigger="${TRIGGER}"]`);
  await expect(again.locator(`tr.jp-mlservice-firing[data-job-id="${jobId}"] [data-status="Completed"]`)).toBeVisible();
  await page.evaluate(() => (window as any).jupyterapp.shell.collapseLeft());
  await screenshots(page, 'trigger');
  await page.locator('#jp-mlservice-studio a[data-area="automation"]').click();
  await expect(page.locator(`#jp-mlservice-studio tr[data-trigger="${TRIGGER}"] td[data-column="firings"]`)).toHaveText('1');
  await expect(page.locator(`#jp-mlservice-studio tr[data-trigger="${TRIGGER}"] td[data-column="cause"]`)).toContainText(`data:${DATA}@1`);
  await screenshots(page, 'automation');
});

test('a rollout held for approval is approved from its view and completes with all traffic on the candidate', async ({ page, request }) => {
  test.setTimeout(600000); // a training job and two scoring deployments on a busy machine
  // A model with two versions (both from one training job) and an endpoint serving v1.
  const submitted = await request.post(`${API}/jobs`, { data: { kind: 'code', source: TRAIN, experiment: 'ui-automation' } });
  expect(submitted.status()).toBe(201);
  const train = await submitted.json();
  await expect
    .poll(async () => (await (await request.get(`${API}/jobs/${train.id}`)).json()).status, { timeout: 240000, intervals: [2000] })
    .toMatch(/Completed|Failed|Canceled/);
  expect((await (await request.get(`${API}/jobs/${train.id}`)).json()).status).toBe('Completed');
  for (const version of ['1', '2']) {
    const registered = await request.post(`${API}/models`, { data: { name: MODEL, job_id: train.id, path: 'model' } });
    expect(registered.status()).toBe(201);
    expect((await registered.json()).version).toBe(version);
  }
  expect((await request.post(`${API}/endpoints`, { data: { name: ENDPOINT } })).status()).toBe(201);
  const blue = await request.post(`${API}/endpoints/${ENDPOINT}/deployments`, {
    data: { name: 'blue', model: `${MODEL}:1`, replicas: 1, all_traffic: true }
  });
  expect(blue.status()).toBe(201);
  await expect
    .poll(async () => (await (await request.get(`${API}/endpoints/${ENDPOINT}`)).json()).traffic, { timeout: 240000, intervals: [2000] })
    .toEqual({ blue: 100 });

  // Clients keep scoring all along, so that each step has candidate requests to judge.
  let scoring = true;
  const client = (async () => {
    while (scoring) {
      await request.post(`${API}/endpoints/${ENDPOINT}/invoke`, { data: { data: PAYLOAD } }).catch(() => undefined);
      await new Promise(resolve => setTimeout(resolve, 250));
    }
  })();

  try {
    const started = await request.post(`${API}/rollouts`, {
      data: {
        endpoint: ENDPOINT,
        model: `${MODEL}:2`,
        plan: { steps: [50, 100], interval_s: 2, min_requests: 1, grace_s: 0 },
        require_approval: true
      }
    });
    expect(started.status()).toBe(201);
    const rollout = await started.json();

    const studio = await openStudio(page, `automation/rollouts/${rollout.id}`);
    await page.evaluate(() => (window as any).jupyterapp.shell.collapseLeft());
    const view = studio.locator(`.jp-mlservice-rollout-view[data-rollout="${rollout.id}"]`);
    await expect(view).toBeVisible();
    const approve = view.getByRole('button', { name: 'Approve' });
    // The candidate deploys, takes 50%, passes it, then waits before 100%.
    await expect(view).toHaveAttribute('data-state', 'AwaitingApproval', { timeout: 300000 });
    await expect(view).toHaveAttribute('data-traffic', '50');
    await expect(view.locator('.jp-mlservice-stepper [data-phase="step 50%"]')).toHaveAttribute('data-status', 'done');
    await expect(view.locator('.jp-mlservice-stepper [aria-current="step"]')).toHaveAttribute('data-phase', 'step 100%');
    await expect(view.locator('tr.jp-mlservice-phase[data-phase="step 50%"]')).toHaveAttribute('data-decision', 'passed');
    await expect(view.locator('.jp-mlservice-split-item[data-role="candidate"]')).toHaveAttribute('data-percent', '50');
    await expect(approve).toBeEnabled();
    expect(await seriousViolations(page, '#jp-mlservice-studio')).toEqual([]);
    await screenshots(page, 'rollout');

    // Approved from the view: the last step runs, and the candidate takes all traffic.
    await approve.click();
    await expect(view).toHaveAttribute('data-state', 'Completed', { timeout: 120000 });
    await expect(view).toHaveAttribute('data-traffic', '100');
    await expect(approve).toBeDisabled();
    await expect(view.getByRole('button', { name: 'Abort' })).toBeDisabled();
    await expect(view.locator('.jp-mlservice-split-item[data-role="candidate"]')).toHaveAttribute('data-percent', '100');
    await expect(view.locator('.jp-mlservice-stepper [data-status="done"]')).toHaveCount(2);
    await expect(view.locator('.jp-mlservice-rollout-settings')).toContainText('Approved');

    // Listed in the Rollouts tab; the model version's promotions show it.
    await studio.locator('a[data-area="automation"]').click();
    await studio.getByRole('tab', { name: 'Rollouts' }).click();
    await expect(studio.locator(`tr[data-rollout="${rollout.id}"]`)).toHaveAttribute('data-state', 'Completed');
    await expect.poll(() => new URL(page.url()).pathname).toBe('/lab/mlservice/automation/rollouts');
    expect(await seriousViolations(page, '#jp-mlservice-studio')).toEqual([]);
    await screenshots(page, 'automation-rollouts');
    await loadPage(page, `/lab/mlservice/models/${MODEL}/2`);
    const version = page.locator(`#jp-mlservice-studio .jp-mlservice-version-view[data-model="${MODEL}"][data-version="2"]`);
    await expect(version.locator(`.jp-mlservice-promotion[data-rollout="${rollout.id}"]`)).toHaveAttribute('data-state', 'Completed');
  } finally {
    scoring = false;
    await client;
  }
  const endpoint = await (await request.get(`${API}/endpoints/${ENDPOINT}`)).json();
  expect(Object.entries(endpoint.traffic).filter(([, p]) => p)).toEqual([['v2', 100]]);
});
