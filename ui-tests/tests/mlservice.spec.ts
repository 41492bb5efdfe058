import { expect, test } from './fixtures';
import * as path from 'path';

import { openStudio, setTheme } from './studio';

const SHOTS = path.resolve(__dirname, '..', 'screenshots');
const TARGET = 'ui-local';

const NOTEBOOK = path.resolve(__dirname, '..', 'notebooks', 'train.ipynb');

test('create a target, submit a notebook, watch it complete and read its detail', async ({ page, tmpPath }) => {
  await page.contents.uploadFile(NOTEBOOK, `${tmpPath}/train.ipynb`);
  await page.notebook.openByPath(`${tmpPath}/train.ipynb`);

  // The ML Service sidebar: a live index (running now, recent jobs, endpoint health).
  await page.click('.jp-SideBar [data-id="jp-mlservice-sidebar"]');
  const sidebar = page.locator('#jp-mlservice-sidebar');
  await expect(sidebar).toBeVisible();
  await expect(sidebar.locator('.jp-AccordionPanel-title')).toHaveText(['Running now', 'Recent jobs', 'Endpoints']);

  // Compute, in the studio: the form validates before sending...
  const studio = await openStudio(page, 'compute');
  await studio.getByRole('button', { name: 'Create Compute Target…' }).click();
  let dialog = page.locator('.jp-Dialog');
  await dialog.locator('input[name="name"]').fill('not a valid name!');
  await dialog.locator('.jp-mod-accept').click();
  await expect(page.locator('.jp-Dialog [data-field="name"]')).toContainText('letters, digits');
  // ...and creates the target once it is right, then shows it.
  dialog = page.locator('.jp-Dialog');
  // typed key by key with no delay: no keystroke may be lost between renders
  await dialog.locator('input[name="name"]').fill('');
  await dialog.locator('input[name="name"]').pressSequentially(TARGET);
  await expect(dialog.locator('input[name="name"]')).toHaveValue(TARGET);
  await dialog.locator('select[name="type"]').selectOption('local');
  await dialog.locator('textarea[name="settings"]').fill('{"max_concurrency": 2}');
  await dialog.locator('.jp-mod-accept').click();
  const target = studio.locator(`.jp-mlservice-target-view[data-target="${TARGET}"]`);
  await expect(target).toBeVisible();
  await expect(target.locator('.jp-mlservice-summary')).toContainText('Capacity');
  await expect(target.locator('.jp-mlservice-summary')).toContainText('2');

  // Submit the notebook from its toolbar; parameters come from the `parameters` cell.
  await page.notebook.activate('train.ipynb');
  await page.locator('.jp-mlservice-submit-button').first().click();
  dialog = page.locator('.jp-Dialog');
  await expect(dialog.locator('textarea[name="parameters"]')).toHaveValue(/"steps": 5/);
  await dialog.locator('select[name="target"]').selectOption(TARGET);
  await dialog.locator('textarea[name="parameters"]').fill('{"steps": 6, "lr": 0.2}');
  await dialog.locator('.jp-mod-accept').click();

  // The job shows up in the sidebar's recent jobs and reaches Completed (pushed events + poll).
  // (other specs' jobs may be listed too: this one is the newest on this test's target)
  const jobRow = sidebar.locator('#jp-mlservice-recent .jp-mlservice-job').filter({ hasText: TARGET }).first();
  await expect(jobRow).toBeVisible();
  const ended = '[data-status="Completed"], [data-status="Failed"], [data-status="Canceled"]';
  await expect(jobRow.locator(ended)).toBeVisible({ timeout: 180000 });

  // Its item opens its view in the studio (its summary says why, should it have failed)...
  await jobRow.locator('.jp-mlservice-job-open').click();
  const detail = studio.locator('.jp-mlservice-job-view');
  await expect(detail.locator('.jp-mlservice-summary')).toBeVisible();
  await expect(jobRow.locator('[data-status="Completed"]')).toBeVisible();
  // ...with a chart of the logged metric, and the log.
  await expect(detail.locator('.jp-mlservice-detail-header [data-status="Completed"]')).toBeVisible();
  // (soft: on failure the rest still runs and reports, screenshots included)
  await expect.soft(detail.locator('[data-metric="loss"] canvas').first()).toBeVisible();
  await expect.soft(detail.locator('.jp-mlservice-log-text')).toContainText('training done');
  await expect.soft(detail.locator('.jp-mlservice-params')).toContainText('0.2');
  const jobId = await detail.getAttribute('data-job-id');
  expect(new URL(page.url()).pathname).toBe(`/lab/mlservice/jobs/${jobId}`);

  // Screenshots for the README: sidebar and run detail, light and dark.
  for (const theme of ['JupyterLab Light', 'JupyterLab Dark'] as const) {
    await setTheme(page, theme);
    const suffix = theme === 'JupyterLab Dark' ? 'dark' : 'light';
    await sidebar.screenshot({ path: path.join(SHOTS, `sidebar-${suffix}.png`) });
    await page.locator('#jp-main-dock-panel').screenshot({ path: path.join(SHOTS, `run-detail-${suffix}.png`) });
  }
  await setTheme(page, 'JupyterLab Light');

  // The executed notebook opens read-only.
  await detail.getByRole('button', { name: 'Open executed notebook' }).click();
  await expect(page.locator('.jp-mlservice-executed-notebook')).toContainText('training done');
});

test('every action is a palette command', async ({ page }) => {
  const ids: string[] = await page.evaluate(() =>
    (window as any).jupyterapp.commands.listCommands().filter((id: string) => id.startsWith('mlservice:'))
  );
  const palette = [
    // the studio (src/index.ts, src/areas/home, src/areas/compare)
    'mlservice:compare-runs',
    'mlservice:open-sidebar',
    'mlservice:open-studio',
    'mlservice:open-tutorial',
    'mlservice:refresh',
    // Compute and Jobs
    'mlservice:create-target',
    'mlservice:delete-target',
    'mlservice:cancel-job',
    'mlservice:open-executed-notebook',
    'mlservice:open-job',
    'mlservice:rerun-job',
    'mlservice:submit-notebook',
    // Pipelines
    'mlservice:cancel-pipeline',
    'mlservice:open-pipeline',
    'mlservice:open-pipeline-graph',
    'mlservice:rerun-pipeline',
    // Models and Endpoints
    'mlservice:create-endpoint',
    'mlservice:delete-deployment',
    'mlservice:delete-endpoint',
    'mlservice:delete-model',
    'mlservice:delete-model-version',
    'mlservice:deploy-model',
    'mlservice:edit-deployment',
    'mlservice:open-deployment-logs',
    'mlservice:register-model',
    'mlservice:set-model-alias',
    // Schedules
    'mlservice:delete-schedule',
    'mlservice:disable-schedule',
    'mlservice:edit-schedule',
    'mlservice:enable-schedule',
    'mlservice:run-schedule-now',
    'mlservice:schedule-notebook',
    // Data and Environments
    'mlservice:archive-data',
    'mlservice:profile-data',
    'mlservice:register-data',
    'mlservice:set-data-alias',
    'mlservice:build-environment',
    'mlservice:create-environment',
    // Monitoring
    'mlservice:delete-monitor',
    'mlservice:disable-monitor',
    'mlservice:enable-monitor',
    'mlservice:run-monitor',
    // Automation
    'mlservice:abort-rollout',
    'mlservice:approve-rollout',
    'mlservice:delete-trigger',
    'mlservice:disable-trigger',
    'mlservice:enable-trigger',
    'mlservice:fire-trigger'
  ];
  // Every command is an action in the palette, but the router's (it opens /lab/mlservice/... links).
  expect(ids.sort()).toEqual([...palette, 'mlservice:route'].sort());
  // ...and each is in the command palette, under "ML Service".
  await page.evaluate(() => (window as any).jupyterapp.commands.execute('apputils:activate-command-palette'));
  await page.locator('.lm-CommandPalette-input').fill('ML Service');
  for (const id of palette) {
    await expect(page.locator(`.lm-CommandPalette-item[data-command="${id}"]`)).toHaveCount(1);
  }
});

test('the Launcher has an ML Studio card and one per tutorial; Home starts with the first', async ({ page }) => {
  // A workspace made by `make lab` has the tutorials at its root.
  const tutorial = path.resolve(__dirname, '..', '..', 'notebooks', '01-jobs-quickstart.ipynb');
  await page.contents.uploadFile(tutorial, '01-jobs-quickstart.ipynb');
  try {
    await page.reload(); // JupyterLab opens on its Launcher
    const launcher = page.locator('.jp-Launcher:visible');
    await expect(launcher.locator('.jp-Launcher-sectionTitle', { hasText: 'ML Service' })).toBeVisible();
    const cards = launcher.locator('.jp-LauncherCard[data-category="ML Service"]');
    await expect(cards).toHaveText(['ML Studio', '1. Jobs quickstart']);
    const card = cards.filter({ hasText: 'ML Studio' });
    await card.click();
    const home = page.locator('#jp-mlservice-studio .jp-mlservice-home');
    await expect(home.locator('.jp-mlservice-tutorials li')).toHaveText([/Jobs quickstart/]);
    await home.getByRole('button', { name: 'Start with "Jobs quickstart"' }).click();
    await expect(page.locator('.jp-NotebookPanel:visible')).toBeVisible();
    await expect(page.locator('.jp-mod-current.lm-mod-current[data-type="document-title"]')).toContainText('01-jobs-quickstart.ipynb');
  } finally {
    await page.contents.deleteFile('01-jobs-quickstart.ipynb');
  }
});
