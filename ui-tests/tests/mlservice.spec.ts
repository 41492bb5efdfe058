import { expect, test } from '@jupyterlab/galata';
import * as path from 'path';

const SHOTS = path.resolve(__dirname, '..', 'screenshots');
const TARGET = 'ui-local';

const NOTEBOOK = path.resolve(__dirname, '..', 'notebooks', 'train.ipynb');

async function setTheme(page: any, theme: 'JupyterLab Light' | 'JupyterLab Dark') {
  await page.evaluate(async (name: string) => {
    await (window as any).jupyterapp.commands.execute('apputils:change-theme', { theme: name });
  }, theme);
  await page.waitForFunction(
    (dark: boolean) => document.body.dataset.jpThemeLight === (dark ? 'false' : 'true'),
    theme === 'JupyterLab Dark'
  );
  await page.waitForTimeout(300);
}

test('create a target, submit a notebook, watch it complete and read its detail', async ({ page, tmpPath }) => {
  await page.contents.uploadFile(NOTEBOOK, `${tmpPath}/train.ipynb`);
  await page.notebook.openByPath(`${tmpPath}/train.ipynb`);

  // Open the ML Service sidebar from its tab in the left area.
  await page.click('.jp-SideBar [data-id="jp-mlservice-sidebar"]');
  const sidebar = page.locator('#jp-mlservice-sidebar');
  await expect(sidebar).toBeVisible();
  await expect(sidebar.locator('.jp-AccordionPanel-title')).toHaveCount(6); // + Schedules, Models, Endpoints

  // Compute: the form validates before sending...
  await sidebar.getByRole('button', { name: 'Create a compute target' }).click();
  let dialog = page.locator('.jp-Dialog');
  await dialog.locator('input[name="name"]').fill('not a valid name!');
  await dialog.locator('.jp-mod-accept').click();
  await expect(page.locator('.jp-Dialog [data-field="name"]')).toContainText('letters, digits');
  // ...and creates the target once it is right.
  dialog = page.locator('.jp-Dialog');
  // typed key by key with no delay: no keystroke may be lost between renders
  await dialog.locator('input[name="name"]').fill('');
  await dialog.locator('input[name="name"]').pressSequentially(TARGET);
  await expect(dialog.locator('input[name="name"]')).toHaveValue(TARGET);
  await dialog.locator('select[name="type"]').selectOption('local');
  await dialog.locator('textarea[name="settings"]').fill('{"max_concurrency": 2}');
  await dialog.locator('.jp-mod-accept').click();
  await expect(sidebar.locator(`[data-target="${TARGET}"]`)).toBeVisible();
  await expect(sidebar.locator(`[data-target="${TARGET}"]`)).toContainText('capacity');

  // Submit the notebook from its toolbar; parameters come from the `parameters` cell.
  await page.notebook.activate('train.ipynb');
  await page.locator('.jp-mlservice-submit-button').first().click();
  dialog = page.locator('.jp-Dialog');
  await expect(dialog.locator('textarea[name="parameters"]')).toHaveValue(/"steps": 5/);
  await dialog.locator('select[name="target"]').selectOption(TARGET);
  await dialog.locator('textarea[name="parameters"]').fill('{"steps": 6, "lr": 0.2}');
  await dialog.locator('.jp-mod-accept').click();

  // The job shows up in the Jobs section and reaches Completed (pushed events + poll).
  // (other specs' jobs may be listed too: this one is the newest on this test's target)
  const jobRow = sidebar.locator('#jp-mlservice-jobs .jp-mlservice-job').filter({ hasText: TARGET }).first();
  await expect(jobRow).toBeVisible();
  const ended = '[data-status="Completed"], [data-status="Failed"], [data-status="Canceled"]';
  await expect(jobRow.locator(ended)).toBeVisible({ timeout: 180000 });

  // Open its detail view (its summary says why, should it have failed)...
  await jobRow.locator('.jp-mlservice-job-open').click();
  const detail = page.locator('.jp-mlservice-job-widget:visible');
  await expect(detail.locator('.jp-mlservice-summary')).toBeVisible();
  await expect(jobRow.locator('[data-status="Completed"]')).toBeVisible();
  // ...with a chart of the logged metric, and the log.
  await expect(detail.locator('[data-status="Completed"]')).toBeVisible();
  // (soft: on failure the rest still runs and reports, screenshots included)
  await expect.soft(detail.locator('[data-metric="loss"] canvas').first()).toBeVisible();
  await expect.soft(detail.locator('.jp-mlservice-log-text')).toContainText('training done');
  await expect.soft(detail.locator('.jp-mlservice-params')).toContainText('0.2');

  // Screenshots for the README: sidebar and run detail, light and dark.
  for (const theme of ['JupyterLab Light', 'JupyterLab Dark'] as const) {
    await setTheme(page, theme);
    const suffix = theme === 'JupyterLab Dark' ? 'dark' : 'light';
    await sidebar.screenshot({ path: path.join(SHOTS, `sidebar-${suffix}.png`) });
    await page.locator('#jp-main-dock-panel').screenshot({ path: path.join(SHOTS, `run-detail-${suffix}.png`) });
  }
  await setTheme(page, 'JupyterLab Light');

  // The executed notebook opens read-only.
  await detail.getByText('Open executed notebook').click();
  await expect(page.locator('.jp-mlservice-executed-notebook')).toContainText('training done');
});

test('every action is a palette command', async ({ page }) => {
  const ids = await page.evaluate(() =>
    (window as any).jupyterapp.commands.listCommands().filter((id: string) => id.startsWith('mlservice:'))
  );
  expect(ids.sort()).toEqual(
    [
      'mlservice:cancel-job',
      'mlservice:compare-runs',
      'mlservice:create-target',
      'mlservice:delete-target',
      'mlservice:open-executed-notebook',
      'mlservice:open-job',
      'mlservice:open-sidebar',
      'mlservice:refresh',
      'mlservice:rerun-job',
      'mlservice:submit-notebook',
      // Models and Endpoints (src/serving.tsx)
      'mlservice:create-endpoint',
      'mlservice:delete-deployment',
      'mlservice:delete-endpoint',
      'mlservice:deploy-model',
      'mlservice:edit-deployment',
      'mlservice:open-deployment-logs',
      'mlservice:refresh-models-endpoints',
      'mlservice:register-model',
      'mlservice:set-model-alias',
      // Schedules (src/schedules.tsx)
      'mlservice:delete-schedule',
      'mlservice:disable-schedule',
      'mlservice:edit-schedule',
      'mlservice:enable-schedule',
      'mlservice:refresh-schedules',
      'mlservice:run-schedule-now',
      'mlservice:schedule-notebook'
    ].sort()
  );
  // ...and each is in the command palette, under "ML Service".
  await page.evaluate(() =>
    (window as any).jupyterapp.commands.execute('apputils:activate-command-palette')
  );
  await page.locator('.lm-CommandPalette-input').fill('ML Service');
  for (const id of ids) {
    await expect(page.locator(`.lm-CommandPalette-item[data-command="${id}"]`)).toHaveCount(1);
  }
});
