import { expect, test } from './fixtures';
import * as path from 'path';

const SHOTS = path.resolve(__dirname, '..', 'screenshots');

// A cell run as a job: it logs a metric over a few seconds so the widget is seen live.
// One statement per line: the editor auto-indents what Galata types into it.
const TRAIN = [
  '%%mlrun --name live-widget --param steps=8',
  'import time, mlflow',
  "_ = [(mlflow.log_metric('loss', 1.0 / (s + 1), step=s), print(f'step {s}', flush=True), time.sleep(0.6)) for s in range(steps)]",
  "print('training done')"
].join('\n');

test.describe('live run widget', () => {
  test('%%mlrun shows status, a metric chart and the log tail while the job runs', async ({ page }) => {
    await page.notebook.createNew('widget.ipynb');
    await page.notebook.setCell(0, 'code', '%load_ext jupyter_mlservice');
    await page.notebook.addCell('code', TRAIN);
    await page.notebook.runCell(0, { inplace: true });

    // The cell blocks until the job ends; the widget updates from the browser meanwhile.
    await page.notebook.runCell(1, { inplace: true, wait: false });
    const widget = page.locator('.jp-mlservice-run-widget .jp-mlservice-run').first();
    await expect(widget).toBeVisible({ timeout: 60000 });
    await expect(widget.locator('.jp-mlservice-run-name')).toHaveText('live-widget');
    await expect(widget.locator('.jp-mlservice-run-params')).toContainText('steps');
    await expect(widget.locator('[data-status="Running"]')).toBeVisible({ timeout: 60000 });
    await expect(widget.locator('.jp-mlservice-chart canvas').first()).toBeVisible({ timeout: 60000 });
    await expect(widget.locator('.jp-mlservice-log-text')).toContainText('step ', { timeout: 60000 });

    const done = page.locator('.jp-mlservice-run-widget .jp-mlservice-run').first();
    await expect(done).toHaveAttribute('data-status', 'Completed', { timeout: 60000 });
    await expect(done.locator('.jp-mlservice-log-text')).toContainText('training done');
    await expect(done.locator('.jp-mlservice-chart-title')).toContainText('loss = 0.1250');
    await expect(done.locator('.jp-mlservice-run-cancel')).toHaveCount(0);
    await done.screenshot({ path: path.join(SHOTS, 'run-widget-light.png') });

    // Its link opens the job's view in the ML Studio.
    const link = done.locator('.jp-mlservice-run-link');
    await expect(link).toHaveAttribute('href', /\/lab\/mlservice\/jobs\/job-/);
    const jobId = (await link.getAttribute('href'))!.split('/').pop();
    await link.click();
    await expect(page.locator(`#jp-mlservice-studio .jp-mlservice-job-view[data-job-id="${jobId}"]`)).toBeVisible();
  });

  test('Cancel in the widget cancels a running job', async ({ page }) => {
    await page.notebook.createNew('cancel.ipynb');
    await page.notebook.setCell(0, 'code', '%load_ext jupyter_mlservice');
    await page.notebook.addCell('code', "%%mlrun --no-wait --name to-cancel\nimport time\nprint('sleeping', flush=True)\ntime.sleep(600)");
    await page.notebook.runCell(0, { inplace: true });
    await page.notebook.runCell(1, { inplace: true });
    const widget = page.locator('.jp-mlservice-run-widget .jp-mlservice-run').first();
    await expect(widget.locator('.jp-mlservice-log-text')).toContainText('sleeping', { timeout: 60000 });
    await widget.locator('.jp-mlservice-run-cancel').click();
    await expect(widget).toHaveAttribute('data-status', 'Canceled', { timeout: 60000 });
    await expect(widget.locator('.jp-mlservice-run-live')).toHaveCount(0);
  });
});
