/**
 * The Environments area: an environment created from the studio's dialog (its lock resolved by the
 * server), its version's requirements and lock, then built with "Build", its log read as it runs.
 */
import * as path from 'path';

import { expect, test } from './fixtures';
import { openStudio, seriousViolations, setTheme } from './studio';

const SHOTS = path.resolve(__dirname, '..', 'screenshots');
const NAME = `ui-env-${Date.now().toString(36)}`;

test('create an environment from the studio, read its lock, build it and read its log', async ({ page }) => {
  test.setTimeout(600000);
  const studio = await openStudio(page, 'environments');
  await studio.getByRole('button', { name: 'Create Environment…' }).click();
  const dialog = page.locator('.jp-Dialog');
  await dialog.getByLabel('Name').fill('1-bad');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(page.locator('.jp-Dialog .jp-mlservice-field-error[data-field="name"]')).toContainText('starting with a letter');
  await page.locator('.jp-Dialog').getByLabel('Name').fill(NAME);
  await page.locator('.jp-Dialog').getByLabel('Requirements').fill('six');
  await page.locator('.jp-Dialog').getByLabel('Build now').uncheck();
  expect(await seriousViolations(page, '.jp-Dialog')).toEqual([]);
  await page.locator('.jp-Dialog').getByRole('button', { name: 'Create' }).click();

  // The new version opens: what was asked for, the lock it resolved to, not built yet.
  const view = studio.locator(`.jp-mlservice-environment-version-view[data-environment="${NAME}"][data-version="1"]`);
  await expect(view).toBeVisible({ timeout: 180000 });
  await expect(view.locator('.jp-mlservice-environment-requirements')).toContainText('six');
  await expect(view.locator('.jp-mlservice-environment-lock-text')).toContainText('six==');
  await expect(view.locator('.jp-mlservice-environment-lock-text')).toContainText('mlflow-skinny==');
  await expect(view.locator('.jp-mlservice-detail-header [data-status="NotBuilt"]')).toBeVisible();

  // Build: Building, its log, then Ready.
  await view.getByRole('button', { name: 'Build' }).click();
  await expect(view.locator('.jp-mlservice-detail-header [data-status="Ready"]')).toBeVisible({ timeout: 420000 });
  await expect(view.locator('.jp-mlservice-log-text')).toContainText('uv');
  await expect(view.getByRole('button', { name: 'Rebuild' })).toBeEnabled();
  expect(await seriousViolations(page, '#jp-mlservice-studio')).toEqual([]);
  await page.evaluate(() => (window as any).jupyterapp.shell.collapseLeft());
  for (const theme of ['JupyterLab Light', 'JupyterLab Dark'] as const) {
    await setTheme(page, theme);
    await studio.screenshot({ path: path.join(SHOTS, `studio-environment-version-${theme === 'JupyterLab Dark' ? 'dark' : 'light'}.png`) });
  }
  await setTheme(page, 'JupyterLab Light');

  // The list has it, Ready, and its view lists the version.
  await view.locator('.jp-mlservice-detail-meta a', { hasText: `all versions of ${NAME}` }).click();
  await expect(studio.locator(`.jp-mlservice-environment-view [data-version="1"] [data-status="Ready"]`)).toBeVisible();
  await studio.locator('a[data-area="environments"]').click();
  await expect(studio.locator(`tr[data-environment="${NAME}"] [data-status="Ready"]`)).toBeVisible();
});
