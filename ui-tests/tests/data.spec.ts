/**
 * The Data area: a CSV registered from the file browser's context menu, its profile (histograms)
 * and preview computed by a real profile job, a job that trains a model on it, and the lineage
 * links between the version, that job (both ways) and the model version registered from the job.
 */
import * as path from 'path';

import { expect, test } from './fixtures';
import { API, openStudio, seriousViolations, setTheme } from './studio';

const SHOTS = path.resolve(__dirname, '..', 'screenshots');

/** Named apart from earlier runs' assets (the workspace outlives a retried worker). */
const NAME = `ui-iris-${Date.now().toString(36)}`;
const FILE = `${NAME}.csv`;
const MODEL = `${NAME}-model`;

/** The job's code: trains on the input it is given and logs an MLflow model. */
const TRAIN_ON = `
import sys
import mlflow, mlflow.sklearn
import pandas as pd
from sklearn.linear_model import LogisticRegression
frame = pd.read_csv(sys.argv[1])
print(len(frame), "rows")
X, y = frame[["sepal_length", "petal_width"]], frame["species"]
model = LogisticRegression(max_iter=300).fit(X, y)
mlflow.log_metric("accuracy", model.score(X, y))
mlflow.sklearn.log_model(model, name="model")
`;

/** 30 rows: two number columns and a text column with three values. */
const CSV = ['sepal_length,petal_width,species']
  .concat(Array.from({ length: 30 }, (_, i) => `${(4.3 + i * 0.12).toFixed(2)},${(0.1 + (i % 10) * 0.25).toFixed(2)},${['setosa', 'versicolor', 'virginica'][i % 3]}`))
  .join('\n');

async function waitForJob(request: any, id: string): Promise<any> {
  await expect
    .poll(async () => (await (await request.get(`${API}/jobs/${id}`)).json()).status, { timeout: 240000, intervals: [1000] })
    .toMatch(/Completed|Failed|Canceled/);
  return (await request.get(`${API}/jobs/${id}`)).json();
}

test('register a CSV from the file browser, see its profile and preview, follow its lineage to a job and the model it produced', async ({ page, request, tmpPath }) => {
  test.setTimeout(480000);
  await page.contents.uploadContent(CSV, 'text', `${tmpPath}/${FILE}`);
  await page.filebrowser.refresh();

  // Right-click the file: "Register as Data Asset…" opens the dialog, named after the file.
  const item = page.locator('.jp-DirListing-item', { hasText: FILE });
  await item.click({ button: 'right' });
  await page.getByRole('menuitem', { name: 'Register as Data Asset…' }).click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog.getByLabel('File or folder')).toHaveValue(`${tmpPath}/${FILE}`);
  await expect(dialog.getByLabel('Name')).toHaveValue(NAME);
  await expect(dialog.getByLabel('Mode')).toHaveValue('copy');
  expect(await seriousViolations(page, '.jp-Dialog')).toEqual([]);
  // A bad name is refused in the dialog, with what to change; nothing is sent.
  await dialog.getByLabel('Name').fill('iris@1');
  await dialog.getByRole('button', { name: 'Register' }).click();
  await expect(page.locator('.jp-Dialog .jp-mlservice-field-error[data-field="name"]')).toContainText('letters, digits');
  await page.locator('.jp-Dialog').getByLabel('Name').fill(NAME);
  await page.locator('.jp-Dialog').getByRole('button', { name: 'Register' }).click();

  // The studio opens the new version; its profile job runs and the view fills in.
  const view = page.locator(`#jp-mlservice-studio .jp-mlservice-data-version-view[data-data="${NAME}"][data-version="1"]`);
  await expect(view).toBeVisible();
  await expect(view.locator('.jp-mlservice-data-ref')).toHaveText(`data:${NAME}@1`);
  await expect(view.locator('.jp-mlservice-data-profile-section [data-status="Ready"]')).toBeVisible({ timeout: 180000 });
  await expect(view.locator('svg.jp-mlservice-histogram[data-column="sepal_length"] rect')).not.toHaveCount(0);
  await expect(view.locator('svg.jp-mlservice-histogram[data-column="petal_width"]')).toBeVisible();
  await expect(view.locator('tr[data-column="species"] .jp-mlservice-top-values')).toContainText('versicolor');
  await expect(view.locator('.jp-mlservice-data-preview-table tbody tr')).toHaveCount(30);
  await expect(view.locator('.jp-mlservice-data-preview-table thead')).toContainText('petal_width');
  await expect(view.locator('.jp-mlservice-data-lineage')).toContainText(`data:${NAME}@1`);

  // A job trains on it, and its model is registered; the version's lineage, opened again from
  // the studio (a fresh read), names the job and the model version.
  await page.contents.uploadContent(TRAIN_ON, 'text', `${tmpPath}/code/train_on.py`);
  const submitted = await request.post(`${API}/jobs`, {
    data: {
      kind: 'command',
      command: 'python train_on.py ${{inputs.train}}',
      code: `${tmpPath}/code`,
      inputs: { train: `data:${NAME}` },
      display_name: `read ${NAME}`,
      experiment: 'ui-data'
    }
  });
  expect(submitted.status()).toBe(201);
  const job = await waitForJob(request, (await submitted.json()).id);
  expect(job.status).toBe('Completed');
  const registered = await request.post(`${API}/models`, { data: { name: MODEL, job_id: job.id, path: 'model' } });
  expect(registered.status()).toBe(201);
  await openStudio(page, 'data');
  await openStudio(page, `data/${NAME}/1`);
  const reader = view.locator(`[data-lineage="jobs"] [data-node-id="${job.id}"] a`);
  await expect(reader).toHaveText(`read ${NAME}`);
  expect(await seriousViolations(page, '#jp-mlservice-studio')).toEqual([]);
  await page.evaluate(() => (window as any).jupyterapp.shell.collapseLeft());
  for (const theme of ['JupyterLab Light', 'JupyterLab Dark'] as const) {
    await setTheme(page, theme);
    await page.locator('#jp-mlservice-studio').screenshot({ path: path.join(SHOTS, `studio-data-version-${theme === 'JupyterLab Dark' ? 'dark' : 'light'}.png`) });
  }
  await setTheme(page, 'JupyterLab Light');

  // Follow it to the job: its view lists the input, linked to the version it resolved to...
  await reader.click();
  const jobView = page.locator(`#jp-mlservice-studio .jp-mlservice-job-view[data-job-id="${job.id}"]`);
  await expect(jobView).toBeVisible();
  await expect.poll(() => new URL(page.url()).pathname).toBe(`/lab/mlservice/jobs/${job.id}`);
  const input = jobView.locator('.jp-mlservice-job-data tr[data-direction="input"][data-name="train"]');
  await expect(input).toContainText(`data:${NAME}`);
  await expect(input.locator('a')).toHaveText(`${NAME}@1`);
  // ...and back.
  await input.locator('a').click();
  await expect(view).toBeVisible();

  // On to the model version trained on it: its own lineage names the data version.
  const trained = view.locator(`[data-lineage="models"] [data-node-id="${MODEL}:1"] a`);
  await expect(trained).toBeVisible();
  await trained.click();
  const versionView = page.locator(`#jp-mlservice-studio .jp-mlservice-version-view[data-model="${MODEL}"][data-version="1"]`);
  await expect(versionView).toBeVisible();
  await expect.poll(() => new URL(page.url()).pathname).toBe(`/lab/mlservice/models/${MODEL}/1`);
  const source = versionView.locator(`.jp-mlservice-lineage-data li[data-data="${NAME}"][data-data-version="1"] a`);
  await expect(source).toHaveText(`${NAME}@1`);
  await source.click();
  await expect(view).toBeVisible();

  // The Data list has the asset with its latest version.
  await view.locator('.jp-mlservice-detail-meta a', { hasText: `all versions of ${NAME}` }).click();
  await expect(page.locator(`#jp-mlservice-studio .jp-mlservice-data-asset-view[data-data="${NAME}"] [data-version="1"]`)).toBeVisible();
  await page.locator('#jp-mlservice-studio a[data-area="data"]').click();
  await expect(page.locator(`#jp-mlservice-studio tr[data-data="${NAME}"]`)).toContainText('v1');
});
