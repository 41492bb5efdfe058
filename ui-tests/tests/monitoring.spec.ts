/**
 * The Monitoring area: a monitor that judges a small data asset (300 rows, three features, one of
 * them shifted) against a baseline file, run once through the REST API; the list shows its run
 * breached, its view (opened from the list, and by its deep link in a fresh page) shows the
 * shifted feature drifted first in the heatmap with its baseline vs window histogram, the data
 * quality table and the alert the run raised. Photographed in light and dark (monitor-*.png).
 */
import * as path from 'path';

import { expect, test } from './fixtures';
import { API, loadPage, openStudio, seriousViolations, setTheme } from './studio';

const SHOTS = path.resolve(__dirname, '..', 'screenshots');

const RUN = Date.now().toString(36);
const DIR = `ui-monitoring-${RUN}`;
const MONITOR = `ui-drift-${RUN}`;
const SCORING = `ui-scoring-${RUN}`;

/** 300 rows: two numbers spread evenly and a category; `shift` moves petal_width by that much. */
function csv(shift: number): string {
  const rows = Array.from({ length: 300 }, (_, i) => {
    const a = (((i * 37) % 300) / 300) * 3 + 4.3;
    const b = (((i * 53) % 300) / 300) * 2.4 + 0.1 + shift;
    return `${a.toFixed(3)},${b.toFixed(3)},${['setosa', 'versicolor', 'virginica'][i % 3]}`;
  });
  return ['sepal_length,petal_width,species', ...rows].join('\n');
}

let runId: number;

test.beforeAll(async ({ request }) => {
  test.setTimeout(180000);
  // the files, inside the server's root (Jupyter's contents API)
  expect((await request.put(`/api/contents/${DIR}`, { data: { type: 'directory' } })).ok()).toBe(true);
  for (const [name, shift] of [
    ['baseline.csv', 0],
    ['scoring.csv', 2]
  ] as const) {
    const put = await request.put(`/api/contents/${DIR}/${name}`, { data: { type: 'file', format: 'text', content: csv(shift) } });
    expect(put.ok()).toBe(true);
  }
  const data = await request.post(`${API}/data`, { data: { name: SCORING, path: `${DIR}/scoring.csv`, profile: false } });
  expect(data.status()).toBe(201);
  const created = await request.post(`${API}/monitors`, {
    data: { name: MONITOR, baseline: `${DIR}/baseline.csv`, current: `data:${SCORING}`, signals: ['data_drift', 'data_quality'] }
  });
  expect(created.status()).toBe(201);
  const run = await request.post(`${API}/monitors/${MONITOR}/run`);
  expect(run.status()).toBe(201);
  runId = (await run.json()).id;
  await expect
    .poll(async () => (await (await request.get(`${API}/monitors/${MONITOR}/runs/${runId}`)).json()).state, { timeout: 150000, intervals: [1000] })
    .toMatch(/Completed|Failed/);
  const detail = await (await request.get(`${API}/monitors/${MONITOR}/runs/${runId}`)).json();
  expect(detail.error).toBeNull();
  expect(detail.breached).toBe(true);
});

test('a monitor’s view shows the drifted feature, its histogram, data quality and the alert; its deep link opens it', async ({ page }) => {
  test.setTimeout(180000);
  const studio = await openStudio(page, 'monitoring');
  await page.evaluate(() => (window as any).jupyterapp.shell.collapseLeft());
  const row = studio.locator(`tr[data-monitor="${MONITOR}"]`);
  await expect(row.locator('[data-outcome="breached"]')).toBeVisible();
  await expect(row.locator('td[data-column="watches"]')).toHaveText(`data:${SCORING}`);
  // (the list is photographed by studio.spec.ts's walk of every area: studio-monitoring-*.png)

  await row.getByRole('link', { name: MONITOR }).click();
  const view = studio.locator(`.jp-mlservice-monitor-view[data-monitor="${MONITOR}"]`);
  await expect(view).toBeVisible();
  // the shifted feature: first in the heatmap, drifted, and the histogram opens on it
  const heat = view.locator('.jp-mlservice-heatmap tbody tr');
  await expect(heat.first()).toHaveAttribute('data-feature', 'petal_width');
  await expect(heat.first()).toHaveAttribute('data-drifted', 'true');
  await expect(view.locator('.jp-mlservice-heatmap tr[data-feature="sepal_length"]')).toHaveAttribute('data-drifted', 'false');
  await expect(view.locator('.jp-mlservice-drift-table tr[data-feature="petal_width"]')).toHaveAttribute('data-drifted', 'true');
  const overlay = view.locator('.jp-mlservice-histogram-overlay');
  await expect(overlay).toHaveAttribute('data-feature', 'petal_width');
  await expect(overlay.locator('rect.jp-mlservice-bar-window')).not.toHaveCount(0);
  await expect(view.locator('.jp-mlservice-quality-table tr[data-feature="species"]')).toBeVisible();
  const alert = view.locator('.jp-mlservice-alerts-table tr[data-resolved="false"]');
  await expect(alert.locator('[data-signal="data_drift"]')).toContainText('petal_width');
  await expect(alert.locator('[data-signal="data_drift"] .jp-mlservice-alert-values [data-feature="petal_width"]')).toContainText('wasserstein');
  // another feature from the keyboard
  await view.locator('.jp-mlservice-drift-table').getByRole('button', { name: 'sepal_length' }).focus();
  await page.keyboard.press('Enter');
  await expect(overlay).toHaveAttribute('data-feature', 'sepal_length');
  await overlay.scrollIntoViewIfNeeded();
  expect(await seriousViolations(page, '#jp-mlservice-studio')).toEqual([]);
  await view.locator('.jp-mlservice-drift-table').getByRole('button', { name: 'petal_width' }).click();
  for (const theme of ['JupyterLab Light', 'JupyterLab Dark'] as const) {
    await setTheme(page, theme);
    await view.locator('.jp-mlservice-monitor-drift').evaluate(section => section.scrollIntoView());
    await studio.screenshot({ path: path.join(SHOTS, `monitor-${theme === 'JupyterLab Dark' ? 'dark' : 'light'}.png`) });
  }
  expect(await seriousViolations(page, '#jp-mlservice-studio')).toEqual([]);

  // the deep link, in a fresh page
  await loadPage(page, `/lab/mlservice/monitoring/${MONITOR}`);
  const linked = page.locator(`#jp-mlservice-studio .jp-mlservice-monitor-view[data-monitor="${MONITOR}"]`);
  await expect(linked.locator('.jp-mlservice-heatmap tbody tr').first()).toHaveAttribute('data-feature', 'petal_width');
});
