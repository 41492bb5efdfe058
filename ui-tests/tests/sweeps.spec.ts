/**
 * The Sweeps area, in one test (one page set-up): a tiny sweep (three trials of a code job that
 * logs one metric) opened from the list, its trials sorted by that metric, its best-so-far chart,
 * the best model registered; the parent job's view links to it and its deep link opens it in a
 * fresh page.
 */
import { expect, test } from './fixtures';
import * as path from 'path';

import { API, loadPage, openStudio, seriousViolations, setTheme } from './studio';

const SHOTS = path.resolve(__dirname, '..', 'screenshots');

/** One trial: its `score` depends on x (best at x=2), and a tiny file as its "model". */
const TRIAL = `
import mlflow
mlflow.log_metric("score", {1: 0.5, 2: 0.9, 3: 0.7}[int(x)], step=0)
mlflow.log_text(str(x), "model/x.txt")
`;

const RUN = Date.now().toString(36);
const MODEL = `ui-sweep-best-${RUN}`;

let sweep: any;

test.beforeAll(async ({ request }) => {
  test.setTimeout(400000);
  const submitted = await request.post(`${API}/sweeps`, {
    data: {
      trial: { kind: 'code', source: TRIAL },
      search_space: { x: { type: 'randint', low: 1, high: 3 } },
      sampling: 'grid',
      objective: { metric: 'score', goal: 'maximize' },
      limits: { max_trials: 3, max_concurrent_trials: 3 },
      experiment: 'ui-sweeps',
      display_name: `ui-sweep-${RUN}`
    }
  });
  expect(submitted.status()).toBe(201);
  const id = (await submitted.json()).id;
  await expect
    .poll(async () => (await (await request.get(`${API}/sweeps/${id}`)).json()).job.status, { timeout: 360000, intervals: [2000] })
    .toMatch(/Completed|Failed|Canceled/);
  sweep = await (await request.get(`${API}/sweeps/${id}`)).json();
  expect(sweep.job.status).toBe('Completed');
  expect(sweep.best_trial.params.x).toBe(2);
});

test('open a sweep from the list, sort its trials by a metric, see the best so far, register the best, follow its links', async ({ page, request }) => {
  test.setTimeout(300000);
  const studio = await openStudio(page, 'sweeps');
  await page.evaluate(() => (window as any).jupyterapp.shell.collapseLeft());
  const row = studio.locator(`tr[data-sweep-id="${sweep.id}"]`);
  await expect(row.locator('[data-status="Completed"]')).toBeVisible();
  await expect(row.locator('td[data-column="objective"]')).toHaveText('maximize score');
  await expect(row.locator('td[data-column="trials"]')).toHaveText('3 of 3');
  await expect(row.locator('td[data-column="best"]')).toHaveText('0.9000');
  for (const theme of ['JupyterLab Light', 'JupyterLab Dark'] as const) {
    await setTheme(page, theme);
    await studio.screenshot({ path: path.join(SHOTS, `studio-sweeps-${theme === 'JupyterLab Dark' ? 'dark' : 'light'}.png`) });
  }
  await setTheme(page, 'JupyterLab Light');
  await row.locator('a.jp-mlservice-entity-link').click();

  const view = studio.locator(`.jp-mlservice-sweep-view[data-sweep-id="${sweep.id}"]`);
  await expect(view).toBeVisible();
  await expect.poll(() => new URL(page.url()).pathname).toBe(`/lab/mlservice/sweeps/${sweep.id}`);
  const rows = view.locator('.jp-mlservice-sweep-trials tbody tr');
  await expect(rows).toHaveCount(3);

  // Sorted by the metric, best first (a second click turns it around).
  const sort = view.locator('th[data-column="objective"] button');
  await sort.click();
  await sort.click();
  await expect(view.locator('th[data-column="objective"]')).toHaveAttribute('aria-sort', 'descending');
  await expect(rows.locator('td[data-column="objective"]')).toHaveText(['0.9000', '0.7000', '0.5000']);
  await expect(rows.locator('td[data-column="param:x"]')).toHaveText(['2', '3', '1']);
  await sort.click();
  await expect(rows.locator('td[data-column="objective"]')).toHaveText(['0.5000', '0.7000', '0.9000']);

  // The best so far over trials, and the parameters against the objective.
  const chart = view.locator('.jp-mlservice-best-so-far');
  await expect(chart).toHaveAttribute('data-points', '3');
  await expect(chart.locator('canvas')).toBeVisible();
  await expect(chart.locator('.u-legend .u-series')).toHaveCount(3); // trial + best so far + score
  await expect(view.locator('.jp-mlservice-parallel-line')).toHaveCount(3);
  await expect(view.locator('.jp-mlservice-sweep-best')).toHaveText(`0.9000 (trial ${sweep.best_trial.number})`);
  expect(await seriousViolations(page, '#jp-mlservice-studio')).toEqual([]);
  for (const theme of ['JupyterLab Light', 'JupyterLab Dark'] as const) {
    await setTheme(page, theme);
    await studio.screenshot({ path: path.join(SHOTS, `sweep-${theme === 'JupyterLab Dark' ? 'dark' : 'light'}.png`) });
  }
  expect(await seriousViolations(page, '#jp-mlservice-studio')).toEqual([]);
  await setTheme(page, 'JupyterLab Light');

  // Register the best trial's model: the dialog starts from its job.
  await view.getByRole('button', { name: 'Register best model' }).click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog.locator('select[name="job"]')).toHaveValue(sweep.best_trial.job_id);
  await dialog.locator('input[name="name"]').fill(MODEL);
  await dialog.locator('.jp-mod-accept').click();
  await expect(studio.locator('.jp-mlservice-studio')).toHaveAttribute('data-path', `models/${MODEL}`);
  const registered = await (await request.get(`${API}/models/${MODEL}`)).json();
  expect(registered.versions.map((v: any) => v.run_id)).toEqual([sweep.best_trial.run_id]);

  // The parent job's view links to the sweep's; a trial's job links back; the deep link opens it.
  await loadPage(page, `/lab/mlservice/jobs/${sweep.id}`);
  await page.locator(`#jp-mlservice-studio .jp-mlservice-job-view[data-job-id="${sweep.id}"] .jp-mlservice-job-sweep`).click();
  await expect(view.locator('.jp-mlservice-sweep-trials tbody tr')).toHaveCount(3);
  await view.locator(`tr[data-trial="${sweep.best_trial.number}"] a.jp-mlservice-entity-link`).click();
  const trialJob = page.locator(`#jp-mlservice-studio .jp-mlservice-job-view[data-job-id="${sweep.best_trial.job_id}"]`);
  await expect(trialJob.locator('.jp-mlservice-job-sweep')).toHaveText(`Trial ${sweep.best_trial.number} of its sweep`);

  await loadPage(page, `/lab/mlservice/sweeps/${sweep.id}`);
  await expect(page.locator(`#jp-mlservice-studio .jp-mlservice-sweep-view[data-sweep-id="${sweep.id}"] .jp-mlservice-parallel-line`)).toHaveCount(3);
});
