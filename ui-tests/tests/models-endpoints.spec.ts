import { expect, test } from './fixtures';
import * as path from 'path';

import { API, openStudio, setTheme } from './studio';

const SHOTS = path.resolve(__dirname, '..', 'screenshots');
const MODEL = 'iris-ui';
const ENDPOINT = 'iris-ui';

/** A code job that trains a classifier and logs it as an MLflow model named "model". */
const TRAIN = `
import mlflow, mlflow.sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
X, y = load_iris(return_X_y=True, as_frame=True)
mlflow.log_param("C", C)
model = LogisticRegression(C=C, max_iter=300).fit(X, y)
mlflow.log_metric("accuracy", model.score(X, y))
mlflow.sklearn.log_model(model, name="model", input_example=X.head(2))
`;

const PAYLOAD = JSON.stringify({
  dataframe_split: {
    columns: ['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)'],
    data: [
      [5.1, 3.5, 1.4, 0.2],
      [6.7, 3.0, 5.2, 2.3]
    ]
  }
});

test.afterAll(async ({ request }) => {
  // Stop the scoring processes whatever happened.
  await request.delete(`${API}/endpoints/${ENDPOINT}`);
});

test('register a model from a job, deploy it, send a test request, shift traffic', async ({ page }) => {
  test.setTimeout(600000); // a training job and two scoring deployments on a busy machine
  // Train through the API: the Jobs section has its own test; this one is about models.
  const submitted = await page.request.post(`${API}/jobs`, {
    data: { kind: 'code', source: TRAIN, parameters: { C: 1.0 }, experiment: 'ui-models', display_name: 'iris-ui-train' }
  });
  expect(submitted.status()).toBe(201);
  const job = await submitted.json();
  await expect
    .poll(async () => (await (await page.request.get(`${API}/jobs/${job.id}`)).json()).status, {
      timeout: 240000,
      intervals: [2000]
    })
    .toMatch(/Completed|Failed|Canceled/);
  expect((await (await page.request.get(`${API}/jobs/${job.id}`)).json()).status).toBe('Completed');

  // ---- register from the studio: the completed job is offered as the source --------------
  const studio = await openStudio(page, 'models');
  await studio.getByRole('button', { name: 'Register Model…' }).click();
  let dialog = page.locator('.jp-Dialog');
  await dialog.locator('input[name="name"]').fill('not a valid name!');
  await dialog.locator('select[name="job"]').selectOption(job.id);
  await dialog.locator('.jp-mod-accept').click();
  await expect(page.locator('.jp-Dialog [data-field="name"]')).toContainText('letters, digits');
  dialog = page.locator('.jp-Dialog');
  await dialog.locator('input[name="name"]').fill(MODEL);
  await dialog.locator('.jp-mod-accept').click();

  // The model's view opens, with its version.
  const item = studio.locator(`.jp-mlservice-model-view[data-model="${MODEL}"]`);
  await expect(item).toBeVisible();
  const v1 = item.locator('[data-version="1"]');
  await expect(v1).toBeVisible();

  // An alias, set from the version's tag button.
  await v1.getByRole('button', { name: `Add an alias to ${MODEL}:1` }).click();
  await page.locator('.jp-Dialog input').fill('champion');
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  await expect(item.locator('.jp-mlservice-alias-summary')).toContainText('@champion → v1');

  // The version's lineage links back to the job that trained it.
  await v1.locator('.jp-mlservice-version-name').click();
  const version = studio.locator(`.jp-mlservice-version-view[data-model="${MODEL}"][data-version="1"]`);
  expect(new URL(page.url()).pathname).toBe(`/lab/mlservice/models/${MODEL}/1`);
  await expect(version.locator('.jp-mlservice-lineage-job')).toHaveText(job.id.slice(0, 12));
  await expect(version.locator('.jp-mlservice-lineage-param')).toContainText('C');
  await expect(version.locator('.jp-mlservice-lineage-metric')).toContainText('accuracy');
  await studio.screenshot({ path: path.join(SHOTS, 'models-light.png') });

  // ---- deploy from the UI to a new endpoint ---------------------------------------------
  await version.getByRole('button', { name: `Deploy ${MODEL}:1` }).click();
  dialog = page.locator('.jp-Dialog');
  await expect(dialog.locator('input[name="model"]')).toHaveValue(`${MODEL}:1`);
  await expect(dialog.locator('select[name="endpoint"]')).toHaveValue('');
  await expect(dialog.locator('input[name="newEndpoint"]')).toHaveValue(ENDPOINT);
  await expect(dialog.locator('input[name="deployment"]')).toHaveValue('iris-ui-v1');
  await dialog.locator('.jp-mod-accept').click();

  // The endpoint's view opens: the deployment becomes Healthy and takes all traffic.
  const endpoint = studio.locator(`.jp-mlservice-endpoint-view[data-endpoint="${ENDPOINT}"]`);
  await expect(endpoint).toBeVisible();
  const blue = endpoint.locator('[data-deployment="iris-ui-v1"]');
  await expect(blue).toBeVisible();
  await expect(blue.locator('[data-status="Healthy"], [data-status="Failed"]')).toBeVisible({ timeout: 180000 });
  await expect(blue.locator('[data-status="Healthy"]')).toBeVisible();
  const summary = endpoint.locator('.jp-mlservice-detail-meta .jp-mlservice-traffic-summary');
  await expect(summary).toHaveText('iris-ui-v1 100%');

  // ---- a test request from the UI, answered by the deployment ---------------------------
  await endpoint.locator('.jp-mlservice-test-payload').fill(PAYLOAD);
  await endpoint.locator('.jp-mlservice-test-send').click();
  const response = endpoint.locator('.jp-mlservice-test-response');
  await expect(response).toHaveAttribute('data-status-code', '200');
  await expect(response).toContainText('"predictions"');
  await expect(response).toContainText('from iris-ui-v1');
  // ...and it shows up in the live figures.
  await expect.soft(blue.locator('.jp-mlservice-figure-requests')).not.toHaveText('0 req', { timeout: 20000 });

  // Keys are masked until revealed.
  await endpoint.getByText('Show keys').click();
  const primary = endpoint.locator('[data-key="primary"] .jp-mlservice-key-value');
  await expect(primary).toContainText('••••');
  const keys = await (await page.request.get(`${API}/endpoints/${ENDPOINT}/keys`)).json();
  await endpoint.getByRole('button', { name: 'Reveal the primary key' }).click();
  await expect(primary).toHaveText(keys.primary);
  await endpoint.getByRole('button', { name: 'Hide the primary key' }).click();
  await expect(primary).not.toHaveText(keys.primary);

  // ---- a deployment made from code shows up; traffic moves with a slider ----------------
  const created = await page.request.post(`${API}/endpoints/${ENDPOINT}/deployments`, {
    data: { name: 'green', model: `${MODEL}@champion`, replicas: 1 }
  });
  expect(created.status()).toBe(201);
  const green = endpoint.locator('[data-deployment="green"]');
  await expect(green.locator('[data-status="Healthy"], [data-status="Failed"]')).toBeVisible({ timeout: 180000 });
  await expect(green.locator('[data-status="Healthy"]')).toBeVisible();
  await green.locator('.jp-mlservice-traffic-value').fill('40');
  await expect(blue.locator('.jp-mlservice-traffic-value')).toHaveValue('60');
  await endpoint.locator('.jp-mlservice-traffic-apply').click();
  await expect(summary).toHaveText('iris-ui-v1 60% · green 40%');
  // Applied once the server has rolled the new split out (restarting workers: slow on a busy machine).
  await expect(endpoint.locator('.jp-mlservice-traffic-apply')).toHaveCount(0, { timeout: 180000 });
  const saved = await (await page.request.get(`${API}/endpoints/${ENDPOINT}`)).json();
  expect(saved.traffic).toEqual({ 'iris-ui-v1': 60, green: 40 });

  // Aim a test request at one deployment.
  await endpoint.locator('.jp-mlservice-test-deployment select').selectOption('green');
  await endpoint.locator('.jp-mlservice-test-send').click();
  await expect(response).toContainText('from green');

  // Screenshots for the README, light and dark; the sidebar shows the endpoint's health.
  for (const theme of ['JupyterLab Light', 'JupyterLab Dark'] as const) {
    await setTheme(page, theme);
    const suffix = theme === 'JupyterLab Dark' ? 'dark' : 'light';
    await studio.screenshot({ path: path.join(SHOTS, `endpoints-${suffix}.png`) });
  }
  await setTheme(page, 'JupyterLab Light');
  await page.click('.jp-SideBar [data-id="jp-mlservice-sidebar"]');
  const health = page.locator(`#jp-mlservice-endpoint-health [data-endpoint="${ENDPOINT}"]`);
  await expect(health.locator('[data-status="Healthy"]')).toBeVisible();
  await expect(health).toContainText('requests');
});
