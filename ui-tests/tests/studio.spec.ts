/**
 * The ML Studio: every area from the nav (light and dark, checked by axe-core), deep links opened
 * in a fresh page and restored on reload, and three runs of two experiments compared.
 */
import { expect, test } from './fixtures';
import * as fs from 'fs';
import * as path from 'path';

import { API, loadPage, openStudio, runCodeJob, seriousViolations, setTheme, waitForSavedLayout } from './studio';

const SHOTS = path.resolve(__dirname, '..', 'screenshots');
const TARGET = 'ui-studio';

/** A run that logs `loss` over five steps and its `alpha`, and a tiny file as its "model". */
const TRAIN = `
import mlflow
mlflow.log_param("alpha", alpha)
for step in range(5):
    mlflow.log_metric("loss", 1.0 / (step + 1 + alpha), step=step)
mlflow.log_text(str(alpha), "model/alpha.txt")
print("trained with alpha", alpha)
`;

/** This run's jobs are named apart from earlier runs' (a retried worker runs beforeAll again). */
const RUN = `ui-compare-${Date.now().toString(36)}`;

const RUNS = [
  { name: `${RUN}-0`, alpha: 0.1, experiment: 'ui-studio-a' },
  { name: `${RUN}-1`, alpha: 0.5, experiment: 'ui-studio-a' },
  { name: `${RUN}-2`, alpha: 0.9, experiment: 'ui-studio-b' }
];

/** The tutorials Home's "Start here" offers, at the root as `make lab` puts them. */
const TUTORIALS = ['01-jobs-quickstart.ipynb', '02-schedules-and-batch.ipynb', '03-deploy-quickstart.ipynb'];

let jobs: any[] = [];

test.beforeAll(async ({ request }) => {
  test.setTimeout(600000);
  for (const name of TUTORIALS) {
    const content = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'notebooks', name), 'utf8'));
    await request.put(`/api/contents/${name}`, { data: { type: 'notebook', format: 'json', content } });
  }
  await request.post(`${API}/targets`, { data: { name: TARGET, type: 'local', settings: { max_concurrency: 1 } } });
  jobs = await Promise.all(
    RUNS.map(run =>
      runCodeJob(request, {
        source: TRAIN,
        parameters: { alpha: run.alpha },
        experiment: run.experiment,
        display_name: run.name
      })
    )
  );
  expect(jobs.map(j => j.status)).toEqual(['Completed', 'Completed', 'Completed']);
});

test.afterAll(async ({ request }) => {
  for (const name of TUTORIALS) {
    await request.delete(`/api/contents/${name}`);
  }
});

test('walk every area from the nav, light and dark, with no serious accessibility violation', async ({ page }) => {
  test.setTimeout(300000);
  const studio = await openStudio(page, '');
  await page.evaluate(() => (window as any).jupyterapp.shell.collapseLeft());
  const nav = studio.getByRole('navigation', { name: 'ML Studio areas' });
  const areas = ['home', 'jobs', 'sweeps', 'pipelines', 'experiments', 'data', 'models', 'endpoints', 'monitoring', 'schedules', 'automation', 'compute', 'environments'];
  await expect(nav.locator('a.jp-mlservice-nav-link')).toHaveText([
    'Home',
    'Jobs',
    'Sweeps',
    'Pipelines',
    'Experiments',
    'Data',
    'Models',
    'Endpoints',
    'Monitoring',
    'Schedules',
    'Automation',
    'Compute',
    'Environments'
  ]);
  for (const theme of ['JupyterLab Light', 'JupyterLab Dark'] as const) {
    await setTheme(page, theme);
    const suffix = theme === 'JupyterLab Dark' ? 'dark' : 'light';
    for (const area of areas) {
      await nav.locator(`a[data-area="${area}"]`).click();
      await expect(studio.locator('.jp-mlservice-studio')).toHaveAttribute('data-path', area === 'home' ? 'home' : area);
      await expect(nav.locator(`a[data-area="${area}"]`)).toHaveAttribute('aria-current', 'page');
      const content = studio.locator(`.jp-mlservice-studio-content [data-area="${area}"]`);
      await expect(content).toBeVisible();
      if (area === 'home') {
        await expect(content.locator('.jp-mlservice-figure-card')).toHaveCount(3);
        await expect(content.locator('.jp-mlservice-tutorials li')).toHaveCount(3);
      } else if (area === 'automation') {
        // Two lists, each in a tab: triggers first.
        await expect(content.getByRole('tab', { name: 'Triggers' })).toHaveAttribute('aria-selected', 'true');
        await expect(content.getByRole('table', { name: 'Triggers' })).toBeVisible();
      } else {
        // Each area is a list: columns, a search box, pages.
        await expect(content.getByRole('table', { name: await nav.locator(`a[data-area="${area}"]`).innerText() })).toBeVisible();
        await expect(content.locator('.jp-mlservice-list-search')).toBeVisible();
      }
      await expect(studio.locator('.jp-mlservice-studio-content')).not.toContainText('Loading…');
      expect.soft(await seriousViolations(page, '#jp-mlservice-studio'), `${area} (${suffix})`).toEqual([]);
      await studio.screenshot({ path: path.join(SHOTS, `studio-${area}-${suffix}.png`) });
    }
  }
  await setTheme(page, 'JupyterLab Light');

  // The Jobs list shows this file's jobs; their target is in Compute with its capacity.
  await nav.locator('a[data-area="compute"]').click();
  await expect(studio.locator(`tr[data-target="${TARGET}"]`)).toContainText('1');
  await nav.locator('a[data-area="jobs"]').click();
  for (const job of jobs) {
    await expect(studio.locator(`tr[data-job-id="${job.id}"] [data-status="Completed"]`)).toBeVisible();
  }
  // The sidebar is a live index whose items open the studio.
  await page.click('.jp-SideBar [data-id="jp-mlservice-sidebar"]');
  const recent = page.locator(`#jp-mlservice-recent [data-job-id="${jobs[2].id}"] .jp-mlservice-job-open`);
  await recent.click();
  await expect(studio.locator(`.jp-mlservice-job-view[data-job-id="${jobs[2].id}"]`)).toBeVisible();
  expect(await seriousViolations(page, '#jp-mlservice-sidebar')).toEqual([]);
});

test('a deep link opens its view in a fresh page, and the studio comes back where it was on reload', async ({ page }) => {
  const job = jobs[0];
  await loadPage(page, `/lab/mlservice/jobs/${job.id}`);
  const view = page.locator(`#jp-mlservice-studio .jp-mlservice-job-view[data-job-id="${job.id}"]`);
  await expect(view).toBeVisible();
  await expect(view.locator('[data-status="Completed"]').first()).toBeVisible();
  await expect(view.locator('.jp-mlservice-params')).toContainText('0.1');
  expect(new URL(page.url()).pathname).toBe(`/lab/mlservice/jobs/${job.id}`);
  expect(await seriousViolations(page, '#jp-mlservice-studio')).toEqual([]);

  // The experiment of the job, from its view; the address bar follows.
  await view.locator('.jp-mlservice-detail-meta a', { hasText: 'ui-studio-a' }).click();
  const experiment = page.locator('#jp-mlservice-studio .jp-mlservice-experiment-view');
  await expect(experiment).toBeVisible();
  await expect(experiment.locator('tbody tr')).toHaveCount(2);
  await expect.poll(() => new URL(page.url()).pathname).toBe(`/lab/mlservice/experiments/${job.experiment_id}`);

  // Reload: the studio is restored where it was.
  await waitForSavedLayout(page, `experiments/${job.experiment_id}`);
  await loadPage(page);
  await expect(page.locator('#jp-mlservice-studio .jp-mlservice-experiment-view h2')).toHaveText('ui-studio-a');

  // A view in a tab of its own comes back too.
  await loadPage(page, `/lab/mlservice/compute/${TARGET}`);
  const target = page.locator(`#jp-mlservice-studio .jp-mlservice-target-view[data-target="${TARGET}"]`);
  await expect(target).toContainText('Capacity');
  await target.getByRole('button', { name: 'Open this Compute target in a new tab' }).click();
  const tab = page.locator(`.jp-mlservice-view-widget .jp-mlservice-target-view[data-target="${TARGET}"]`);
  await expect(tab).toBeVisible();
  await waitForSavedLayout(page, `mlservice-view:compute/${TARGET}`);
  await loadPage(page);
  await expect(page.locator('.lm-TabBar-tab', { hasText: `Target ${TARGET}` })).toHaveCount(1);

  // A link to something that is gone says so.
  await loadPage(page, '/lab/mlservice/endpoints/no-such-endpoint');
  await expect(page.locator('#jp-mlservice-studio .jp-mlservice-detail')).toContainText('does not exist');
});

test('compare three runs of two experiments, picked with the keyboard in the Jobs list', async ({ page }) => {
  const studio = await openStudio(page, 'jobs');
  await page.evaluate(() => (window as any).jupyterapp.shell.collapseLeft());
  await studio.getByLabel('Search Jobs').fill(RUN);
  const rows = studio.locator('tbody tr');
  await expect(rows).toHaveCount(3);
  await rows.first().focus();
  await page.keyboard.press('Space');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Space');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Space');
  await expect(studio.locator('.jp-mlservice-selection-count')).toHaveText('3 selected');
  await expect(studio.locator('tr[aria-selected="true"]')).toHaveCount(3);
  await studio.getByRole('button', { name: 'Compare (3)' }).click();

  const compare = studio.locator('.jp-mlservice-compare');
  await expect(compare.locator('thead th[data-run-id]')).toHaveCount(3);
  await expect(compare.locator('thead')).toContainText('ui-studio-b'); // across experiments
  const alpha = compare.locator('tr.jp-mlservice-param-row', { hasText: 'alpha' });
  await expect(alpha).toHaveClass(/jp-mlservice-differs/);
  for (const run of RUNS) {
    await expect(alpha).toContainText(String(run.alpha));
  }
  await expect(compare.locator('tr.jp-mlservice-metric-row[data-metric="loss"] td')).toHaveCount(3);
  // One chart per metric, every run overlaid on it.
  const chart = compare.locator('.jp-mlservice-chart[data-metric="loss"]');
  await expect(chart.locator('canvas')).toBeVisible();
  await expect(chart.locator('.u-legend .u-series')).toHaveCount(4); // step + three runs
  await expect(studio.locator('a[data-area="compare"]')).toHaveText('Compare (3)');
  expect(await seriousViolations(page, '#jp-mlservice-studio')).toEqual([]);

  // The compare view is a link too.
  const link = new URL(page.url()).pathname;
  expect(link).toMatch(/^\/lab\/mlservice\/compare\/[0-9a-f]+,[0-9a-f]+,[0-9a-f]+$/);
  for (const theme of ['JupyterLab Light', 'JupyterLab Dark'] as const) {
    await setTheme(page, theme);
    await studio.screenshot({ path: path.join(SHOTS, `studio-compare-${theme === 'JupyterLab Dark' ? 'dark' : 'light'}.png`) });
  }
  await setTheme(page, 'JupyterLab Light');
  await loadPage(page, link);
  await expect(page.locator('#jp-mlservice-studio .jp-mlservice-compare thead th[data-run-id]')).toHaveCount(3);
});

test('delete a registered model from the Models list, after one confirmation', async ({ page, request }) => {
  const name = `ui-doomed-${RUN}`;
  const registered = await request.post(`${API}/models`, { data: { name, job_id: jobs[0].id, path: 'model' } });
  expect(registered.status()).toBe(201);
  const studio = await openStudio(page, 'models');
  const row = studio.locator(`tr[data-model="${name}"]`);
  await expect(row).toBeVisible();
  await row.getByRole('checkbox').check();
  await studio.getByRole('button', { name: 'Delete (1)' }).click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog).toContainText(name);
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await expect(row).toHaveCount(0);
  expect((await request.get(`${API}/models/${name}`)).status()).toBe(404);
});
