import { expect, test } from './fixtures';
import * as path from 'path';

import { API, openStudio } from './studio';

const SHOTS = path.resolve(__dirname, '..', 'screenshots');
const NOTEBOOK = path.resolve(__dirname, '..', 'notebooks', 'train.ipynb');
const SCHEDULE = 'ui-every-minute';

test('schedule a notebook from its toolbar, run it now, see its history, disable, edit its timing, parameters and concurrency, and delete it', async ({
  page,
  tmpPath
}) => {
  await page.request.delete(`${API}/schedules/${SCHEDULE}`);
  await page.contents.uploadFile(NOTEBOOK, `${tmpPath}/train.ipynb`);
  await page.notebook.openByPath(`${tmpPath}/train.ipynb`);
  await page.notebook.activate('train.ipynb');

  // The "Schedule" button sits next to "Submit as job" in the notebook's toolbar.
  const toolbar = page.locator('.jp-NotebookPanel-toolbar:visible');
  await expect(
    toolbar.locator('[data-jp-item-name="mlservice-submit"] + [data-jp-item-name="mlservice-schedule"]')
  ).toHaveCount(1);
  await toolbar.getByRole('button', { name: 'Schedule', exact: true }).click();

  let dialog = page.locator('.jp-Dialog');
  await expect(dialog.locator('input[name="name"]')).toHaveValue('train');
  await expect(dialog.locator('input[name="notebook"]')).toHaveValue(`${tmpPath}/train.ipynb`);
  await expect(dialog.locator('textarea[name="parameters"]')).toHaveValue(/"steps": 5/);
  // The cron helper says what a cron means, or what is wrong with it, while typing.
  const words = dialog.locator('.jp-mlservice-cron-words');
  await expect(words).toHaveText('At 02:00, every day');
  await dialog.locator('input[name="cron"]').fill('0 2 *');
  await expect(words).toContainText('5 fields');
  await expect(words).toHaveClass(/jp-mlservice-cron-invalid/);
  await dialog.getByRole('button', { name: 'Weekdays at 09:00' }).click();
  await expect(words).toHaveText('At 09:00, Monday through Friday');
  await dialog.locator('input[name="cron"]').fill('* * * * *');
  await expect(words).toHaveText('Every minute');
  await dialog.locator('input[name="name"]').fill(SCHEDULE);
  await dialog.locator('input[name="timeZone"]').fill('UTC');
  await dialog.locator('textarea[name="parameters"]').fill('{"steps": 3, "lr": 0.3}');
  await dialog.locator('.jp-Dialog-body').evaluate((el: HTMLElement) => el.scrollTo(0, 0));
  await dialog.locator('.jp-Dialog-content').screenshot({ path: path.join(SHOTS, 'schedule-dialog-light.png') });
  // A mistake only the server sees (display name over 256 characters) comes back into the dialog.
  await dialog.locator('input[name="displayName"]').fill('x'.repeat(300));
  await dialog.locator('.jp-mod-accept').click();
  dialog = page.locator('.jp-Dialog');
  await expect(dialog.locator('.jp-mlservice-server-error')).toContainText('display_name');
  await expect(dialog.locator('input[name="name"]')).toHaveValue(SCHEDULE);
  await dialog.locator('input[name="displayName"]').fill('');
  await dialog.locator('.jp-mod-accept').click();
  await expect(page.locator('.jp-Dialog')).toHaveCount(0);

  // It opens in the studio, in words, enabled, with its history.
  const studio = page.locator('#jp-mlservice-studio');
  const item = studio.locator(`.jp-mlservice-schedule-view[data-schedule="${SCHEDULE}"]`);
  await expect(item).toBeVisible();
  expect(new URL(page.url()).pathname).toBe(`/lab/mlservice/schedules/${SCHEDULE}`);
  await expect(item.locator('.jp-mlservice-schedule-words')).toHaveText('Every minute');
  await expect(item).toHaveAttribute('data-enabled', 'true');
  await expect(item.locator('.jp-mlservice-schedule-detail')).toBeVisible();
  const saved = await (await page.request.get(`${API}/schedules/${SCHEDULE}`)).json();
  expect(saved.job).toMatchObject({
    kind: 'notebook',
    notebook: `${tmpPath}/train.ipynb`,
    target: 'local',
    parameters: { steps: 3, lr: 0.3 }
  });

  // "Run now": a manual run appears in the history and its job completes.
  await item.getByRole('button', { name: 'Run now' }).click();
  const manual = item.locator('.jp-mlservice-schedule-run', { has: page.locator('.jp-mlservice-chip', { hasText: 'manual' }) });
  await expect(manual).toHaveCount(1);
  const ended = '[data-status="Completed"], [data-status="Failed"], [data-status="Canceled"]';
  await expect(manual.locator(ended)).toBeVisible({ timeout: 180000 });
  await expect(manual.locator('[data-status="Completed"]')).toBeVisible();

  // Disable: the state changes, and there is no next run.
  await item.getByRole('button', { name: 'Disable' }).click();
  await expect(item).toHaveAttribute('data-enabled', 'false');
  await expect(item.locator('.jp-mlservice-detail-header [data-status]')).toHaveText('Disabled');
  await expect(item.locator('.jp-mlservice-schedule-next')).toHaveText('no next run');

  // In the Schedules list: its timing in words, disabled, the latest run's status.
  await studio.locator('a[data-area="schedules"]').click();
  const row = studio.locator(`tr[data-schedule="${SCHEDULE}"]`);
  await expect(row).toHaveAttribute('data-enabled', 'false');
  await expect(row.locator('.jp-mlservice-schedule-words')).toHaveText('Every minute');
  await expect(row.locator('.jp-mlservice-schedule-last [data-status="Completed"]').first()).toBeVisible();
  await studio.screenshot({ path: path.join(SHOTS, 'schedules-light.png') });
  await row.locator('.jp-mlservice-entity-link').click();
  await expect(item).toBeVisible();

  // The run's job opens in its view.
  const jobId = await manual.getAttribute('data-job-id');
  await manual.locator('.jp-mlservice-schedule-run-job').click();
  await expect(studio.locator(`.jp-mlservice-detail[data-job-id="${jobId}"]`)).toBeVisible();
  await openStudio(page, `schedules/${SCHEDULE}`);

  // Edit the timing (and enable again) in the edit dialog.
  await item.getByRole('button', { name: 'Edit' }).click();
  dialog = page.locator('.jp-Dialog');
  // The dialog opens filled from the server; type over that value once it is there.
  const cron = dialog.locator('input[name="cron"]');
  await expect(cron).toHaveValue('* * * * *');
  await expect(async () => {
    await cron.fill('30 6 * * 1');
    await expect(dialog.locator('.jp-mlservice-cron-words')).toHaveText('At 06:30, only on Monday', { timeout: 2000 });
  }).toPass({ timeout: 30000 });
  await dialog.locator('input[name="timeZone"]').fill('Europe/Paris');
  await dialog.locator('input[name="enabled"]').check();
  await dialog.locator('.jp-mod-accept').click();
  await expect(item.locator('.jp-mlservice-schedule-words')).toHaveText('At 06:30, only on Monday (Europe/Paris)');
  await expect(item).toHaveAttribute('data-enabled', 'true');

  // Edit the job's parameters and the concurrency: the dialog shows what the server has.
  await item.getByRole('button', { name: 'Edit' }).click();
  dialog = page.locator('.jp-Dialog');
  await expect(dialog.locator('input[name="cron"]')).toHaveValue('30 6 * * 1');
  await expect(dialog.locator('input[name="maxConcurrentRuns"]')).toHaveValue('1');
  await expect(dialog.locator('textarea[name="parameters"]')).toHaveValue(/"lr": 0.3/);
  await dialog.locator('textarea[name="parameters"]').fill('{"steps": 7, "lr": 0.05}');
  await dialog.locator('input[name="maxConcurrentRuns"]').fill('3');
  await dialog.locator('select[name="concurrencyPolicy"]').selectOption('queue');
  // A refusal only the server makes (a display name over 256 characters) shows in the dialog, edits kept.
  await dialog.locator('input[name="displayName"]').fill('y'.repeat(300));
  await dialog.locator('.jp-mod-accept').click();
  dialog = page.locator('.jp-Dialog');
  await expect(dialog.locator('.jp-mlservice-server-error')).toContainText('display_name');
  await expect(dialog.locator('input[name="maxConcurrentRuns"]')).toHaveValue('3');
  await dialog.locator('input[name="displayName"]').fill('');
  await dialog.locator('.jp-mod-accept').click();
  await expect(page.locator('.jp-Dialog')).toHaveCount(0);
  await expect(item.locator('.jp-mlservice-schedule-settings')).toContainText('3 at once, then queue');
  const edited = await (await page.request.get(`${API}/schedules/${SCHEDULE}`)).json();
  expect(edited.max_concurrent_runs).toBe(3);
  expect(edited.concurrency_policy).toBe('queue');
  expect(edited.cron).toBe('30 6 * * 1');
  expect(edited.job).toMatchObject({ notebook: `${tmpPath}/train.ipynb`, target: 'local', parameters: { steps: 7, lr: 0.05 } });

  // Delete, after a confirmation.
  await item.getByRole('button', { name: 'Delete' }).click();
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  await expect(studio.locator('.jp-mlservice-detail')).toContainText('does not exist');
  expect((await page.request.get(`${API}/schedules/${SCHEDULE}`)).status()).toBe(404);
});

/** An Azure-style scoring script, slow enough (0.4 s a mini-batch) to be seen running. */
const SCORE = `
import time
import pandas as pd

def init():
    pass

def run(mini_batch):
    time.sleep(0.4)
    return pd.DataFrame({"score": mini_batch["a"] * 2})
`;

test('a running batch job shows its mini-batches and rows/s in Jobs and in its detail view', async ({ page, tmpPath }) => {
  await page.contents.uploadContent(SCORE, 'text', `${tmpPath}/code/score.py`);
  const rows = ['id,a', ...Array.from({ length: 30 }, (_, i) => `${i},${i / 10}`)].join('\n');
  await page.contents.uploadContent(rows, 'text', `${tmpPath}/input.csv`);
  const studio = await openStudio(page, 'jobs');

  const submitted = await page.request.post(`${API}/jobs`, {
    data: {
      kind: 'batch',
      display_name: 'ui-batch',
      scoring_script: 'score.py',
      code: `${tmpPath}/code`,
      input: { path: `${tmpPath}/input.csv` },
      output_action: 'summary_only',
      mini_batch_size: 1
    }
  });
  expect(submitted.status()).toBe(201);
  const job = await submitted.json();

  const row = studio.locator(`tr[data-job-id="${job.id}"]`);
  await expect(row).toBeVisible();
  // While it runs: done/total mini-batches (and rows/s once measured), with a bar.
  await expect(row.locator('.jp-mlservice-progress-text')).toHaveText(/^\d+\/30 mini-batches/, { timeout: 120000 });
  await expect(row.locator('progress')).toHaveAttribute('max', '30');
  await expect(row.locator('[data-status="Completed"]')).toBeVisible({ timeout: 120000 });
  // Progress is only polled while a batch job runs: the line goes once it has ended.
  await expect(row.locator('.jp-mlservice-progress')).toHaveCount(0);

  await row.locator('.jp-mlservice-entity-link').click();
  const progress = studio.locator(`.jp-mlservice-detail[data-job-id="${job.id}"] .jp-mlservice-job-progress`);
  await expect(progress).toContainText('30 of 30 done');
  await expect(progress).toContainText('30/30 mini-batches');
});
