/**
 * An endpoint's view in the studio: mirror traffic to a second deployment, and
 * edit a deployment (replicas) from the UI until it is Healthy again.
 */
import { expect, test } from './fixtures';

import { API, openStudio } from './studio';

const MODEL = 'iris-edit';
const ENDPOINT = 'iris-edit';

/** A code job that trains a classifier and logs it as an MLflow model named "model". */
const TRAIN = `
import mlflow, mlflow.sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
X, y = load_iris(return_X_y=True, as_frame=True)
model = LogisticRegression(max_iter=300).fit(X, y)
mlflow.log_metric("accuracy", model.score(X, y))  # starts the job's run: log_model alone would not link to it
mlflow.sklearn.log_model(model, name="model", input_example=X.head(2))
`;

async function deploymentStatus(request: any, name: string): Promise<string> {
  const response = await request.get(`${API}/endpoints/${ENDPOINT}/deployments/${name}`);
  return (await response.json()).status;
}

test.afterAll(async ({ request }) => {
  // Stop the scoring processes whatever happened.
  await request.delete(`${API}/endpoints/${ENDPOINT}`);
});

test('mirror traffic to a second deployment and edit a deployment from the endpoint view', async ({
  page
}) => {
  test.setTimeout(600000); // a training job and two scoring deployments on a busy machine
  // ---- set up through the API: a model, an endpoint with two healthy deployments ---------
  const submitted = await page.request.post(`${API}/jobs`, {
    data: { kind: 'code', source: TRAIN, experiment: 'ui-endpoints-edit', display_name: 'iris-edit-train' }
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
  const registered = await page.request.post(`${API}/models`, { data: { name: MODEL, job_id: job.id, path: 'model' } });
  expect(registered.status()).toBe(201);
  expect((await page.request.post(`${API}/endpoints`, { data: { name: ENDPOINT, auth_mode: 'key' } })).status()).toBe(
    201
  );
  for (const name of ['blue', 'green']) {
    const created = await page.request.post(`${API}/endpoints/${ENDPOINT}/deployments`, {
      data: { name, model: `${MODEL}:1`, replicas: 1 }
    });
    expect(created.status()).toBe(201);
  }
  for (const name of ['blue', 'green']) {
    await expect
      .poll(() => deploymentStatus(page.request, name), { timeout: 180000, intervals: [1000] })
      .toMatch(/Healthy|Failed/);
    expect(await deploymentStatus(page.request, name)).toBe('Healthy');
  }

  // ---- open the endpoint from the studio's Endpoints list ---------------------------------
  const studio = await openStudio(page, 'endpoints');
  await studio.locator(`tr[data-endpoint="${ENDPOINT}"] .jp-mlservice-entity-link`).click();
  const endpoint = studio.locator(`.jp-mlservice-endpoint-view[data-endpoint="${ENDPOINT}"]`);
  await expect(endpoint).toBeVisible();
  const blue = endpoint.locator('[data-deployment="blue"]');
  const green = endpoint.locator('[data-deployment="green"]');
  await expect(blue.locator('[data-status="Healthy"]')).toBeVisible();
  await expect(green.locator('[data-status="Healthy"]')).toBeVisible();
  await expect(endpoint.locator('.jp-mlservice-detail-meta .jp-mlservice-traffic-summary')).toHaveText('blue 100%');

  // ---- mirror traffic: the rules are told in place; an accepted share shows everywhere ---
  const mirror = endpoint.locator('.jp-mlservice-mirror');
  await expect(mirror.locator('.jp-mlservice-mirror-current')).toContainText('Off');
  const target = mirror.locator('.jp-mlservice-mirror-deployment select');
  const percent = mirror.getByLabel('Percent of requests to mirror');
  await expect(target).toHaveValue('green'); // the deployment without live traffic
  await target.selectOption('blue');
  await percent.fill('10');
  await mirror.getByRole('button', { name: 'Set mirror' }).click();
  await expect(mirror.locator('[data-field="mirror-deployment"]')).toContainText('not both');
  await target.selectOption('green');
  await percent.fill('60');
  await mirror.getByRole('button', { name: 'Set mirror' }).click();
  await expect(mirror.locator('[data-field="mirror-percent"]')).toContainText('At most 50%');
  await percent.fill('20');
  await mirror.getByRole('button', { name: 'Set mirror' }).click();
  await expect(endpoint.locator('.jp-mlservice-mirror-summary')).toHaveText('mirror green 20%');
  await expect(green.locator('.jp-mlservice-deployment-mirror')).toHaveText('mirror 20%');
  await expect(mirror.locator('.jp-mlservice-mirror-current')).toContainText('Copies 20% of requests to green');
  await expect(mirror.locator('[role="alert"]')).toHaveCount(0);
  const saved = await (await page.request.get(`${API}/endpoints/${ENDPOINT}`)).json();
  expect(saved.mirror_traffic).toEqual({ green: 20 });
  expect(saved.traffic).toEqual({ blue: 100 });

  // The server's own rule, reached from the traffic sliders: green is mirrored, so it cannot take live traffic.
  await green.locator('.jp-mlservice-traffic-value').fill('30');
  await expect(endpoint.locator('.jp-mlservice-traffic-actions [role="alert"]')).toContainText(
    'already gets mirrored requests'
  );
  await expect(endpoint.locator('.jp-mlservice-traffic-apply')).toBeDisabled();
  await endpoint.locator('.jp-mlservice-traffic-actions').getByRole('button', { name: 'Reset' }).click();

  // ---- edit green: a refused model says why in the dialog; replicas 1 -> 2 roll out -------
  await green.getByRole('button', { name: 'Edit deployment green' }).click();
  let dialog = page.locator('.jp-Dialog');
  await expect(dialog.locator('input[name="model"]')).toHaveValue(`${MODEL}:1`);
  await expect(dialog.locator('input[name="replicas"]')).toHaveValue('1');
  await dialog.locator('input[name="model"]').fill(`${MODEL}:9`);
  await dialog.locator('.jp-mod-accept').click();
  dialog = page.locator('.jp-Dialog');
  await expect(dialog.locator('[data-field="form"]')).toContainText('9');
  await expect(dialog.locator('input[name="model"]')).toHaveValue(`${MODEL}:9`); // the edits are kept
  await dialog.locator('input[name="model"]').fill(`${MODEL}:1`);
  await dialog.locator('input[name="replicas"]').fill('2');
  await dialog.locator('.jp-mod-accept').click();
  await expect(page.locator('.jp-Dialog')).toHaveCount(0);

  const replicas = green.locator('.jp-mlservice-replicas');
  await expect(replicas).toHaveAttribute('data-replicas', '2');
  // Updating can be short: look for it, but do not depend on seeing it.
  await expect.soft(green.locator('[data-status="Updating"]')).toBeVisible({ timeout: 5000 });
  await expect(green.locator('[data-status="Healthy"], [data-status="Failed"]')).toBeVisible({ timeout: 180000 });
  await expect(green.locator('[data-status="Healthy"]')).toBeVisible();
  // (a new worker may take a while to start on a busy machine)
  await expect(replicas).toHaveText('2/2 ready', { timeout: 120000 });
  const edited = await (await page.request.get(`${API}/endpoints/${ENDPOINT}/deployments/green`)).json();
  expect(edited.replicas).toBe(2);
  expect(edited.mirror_traffic).toBe(20); // the edit keeps the mirror

  // ---- stop mirroring ---------------------------------------------------------------------
  await mirror.getByRole('button', { name: 'Stop mirroring' }).click();
  await expect(endpoint.locator('.jp-mlservice-mirror-summary')).toHaveCount(0);
  await expect(mirror.locator('.jp-mlservice-mirror-current')).toContainText('Off');
  expect((await (await page.request.get(`${API}/endpoints/${ENDPOINT}`)).json()).mirror_traffic).toEqual({});
});
