/**
 * The Pipelines area, in one test (one page set-up): a three-step pipeline submitted through the
 * API is opened from the list and watched until its graph turns green; a node opens its step's
 * job; "Rerun from here" starts a run that reuses what is upstream; the deep link restores on
 * reload; a *.pipeline.yaml file opens as its graph (and a broken one says what is wrong); a
 * running pipeline is canceled from the list (its waiting step canceled, the next one skipped).
 */
import { expect, test } from './fixtures';
import * as path from 'path';

import { API, loadPage, openStudio, seriousViolations, setTheme } from './studio';

const SHOTS = path.resolve(__dirname, '..', 'screenshots');

const RUN = Date.now().toString(36);

/** say -> shout, say -> count: trivial shell steps. The word makes every step's key new. */
const PIPELINE = {
  name: `ui-pipe-${RUN}`,
  inputs: { word: `hello-${RUN}` },
  outputs: { result: '${{parent.jobs.shout.outputs.out}}' },
  jobs: {
    say: {
      type: 'command',
      command: 'echo ${{inputs.word}} > ${{outputs.out}}/word.txt',
      inputs: { word: '${{parent.inputs.word}}' },
      outputs: { out: { type: 'folder' } }
    },
    shout: {
      type: 'command',
      command: 'tr a-z A-Z < ${{inputs.data}}/word.txt > ${{outputs.out}}/word.txt',
      inputs: { data: '${{parent.jobs.say.outputs.out}}' },
      outputs: { out: { type: 'folder' } }
    },
    count: {
      type: 'command',
      command: 'wc -c < ${{inputs.data}}/word.txt',
      inputs: { data: '${{parent.jobs.say.outputs.out}}' }
    }
  }
};

/** A step that waits, and one after it: canceled from the list. */
const SLOW = {
  name: `ui-slow-${RUN}`,
  jobs: {
    wait: { type: 'command', command: 'sleep 120', outputs: { o: { type: 'folder' } } },
    after: { type: 'command', command: 'true', inputs: { x: '${{parent.jobs.wait.outputs.o}}' } }
  }
};

const YAML = `name: ui-file
inputs: {n: 3}
jobs:
  first:
    type: command
    command: echo \${{inputs.n}} > \${{outputs.out}}/n.txt
    inputs: {n: "\${{parent.inputs.n}}"}
    outputs: {out: {type: uri_folder}}
  second:
    type: command
    command: cat \${{inputs.data}}/n.txt
    inputs: {data: "\${{parent.jobs.first.outputs.out}}"}
`;

const BROKEN = `name: ui-broken
jobs:
  only:
    type: command
    command: cat \${{inputs.data}}/n.txt
    inputs: {data: "\${{parent.jobs.nowhere.outputs.out}}"}
`;

test('watch a pipeline run turn green, open a step’s job, rerun from a step, draw a *.pipeline.yaml, cancel from the list', async ({ page, request, tmpPath }) => {
  test.setTimeout(480000);
  const submitted = await request.post(`${API}/pipelines`, { data: { pipeline: PIPELINE, experiment: 'ui-pipelines' } });
  expect(submitted.status()).toBe(201);
  const id: string = (await submitted.json()).id;

  const studio = await openStudio(page, 'pipelines');
  await page.evaluate(() => (window as any).jupyterapp.shell.collapseLeft());
  const row = studio.locator(`tr[data-pipeline-id="${id}"]`);
  await expect(row).toBeVisible();
  await row.locator('a.jp-mlservice-entity-link').click();

  // The run's graph: three steps, drawn at once, turning green as their jobs complete (pushed by events).
  const view = studio.locator(`.jp-mlservice-pipeline-view[data-pipeline-id="${id}"]`);
  await expect(view).toBeVisible();
  await expect.poll(() => new URL(page.url()).pathname).toBe(`/lab/mlservice/pipelines/${id}`);
  const node = (name: string) => view.locator(`g.jp-mlservice-pipeline-node[data-step="${name}"]`);
  await expect(view.locator('g.jp-mlservice-pipeline-node')).toHaveCount(3);
  for (const step of ['say', 'shout', 'count']) {
    await expect(node(step)).toHaveAttribute('data-status', 'completed', { timeout: 240000 });
  }
  await expect(view).toHaveAttribute('data-status', 'Completed');
  await expect(view.locator('.jp-mlservice-pipeline-summary')).toContainText('3 of 3 steps done, 0 reused.');
  // Edges say what they carry; the pipeline's input and output are drawn too.
  await expect(view.locator('.jp-mlservice-pipeline-edge-label', { hasText: 'out → data (folder)' })).toHaveCount(2);
  await expect(view.locator('.jp-mlservice-pipeline-port[data-port="word"]')).toBeVisible();
  await expect(view.locator('.jp-mlservice-pipeline-port[data-port="result"]')).toBeVisible();

  // Focus shows a step's panel: why it ran.
  await node('shout').focus();
  const panel = view.locator('.jp-mlservice-pipeline-step');
  await expect(panel.locator('h3')).toContainText('Step shout');
  await expect(panel.locator('.jp-mlservice-pipeline-step-job')).toBeVisible();
  expect(await seriousViolations(page, '#jp-mlservice-studio')).toEqual([]);
  for (const theme of ['JupyterLab Light', 'JupyterLab Dark'] as const) {
    await setTheme(page, theme);
    await studio.screenshot({ path: path.join(SHOTS, `pipeline-${theme === 'JupyterLab Dark' ? 'dark' : 'light'}.png`) });
  }
  expect(await seriousViolations(page, '#jp-mlservice-studio')).toEqual([]);
  await setTheme(page, 'JupyterLab Light');

  // A click on a node opens its step's job.
  const run = await (await request.get(`${API}/pipelines/${id}`)).json();
  const sayJob = run.steps.find((s: any) => s.name === 'say').job_id;
  await node('say').click();
  await expect(studio.locator('.jp-mlservice-studio')).toHaveAttribute('data-path', `jobs/${sayJob}`);
  const sayView = studio.locator(`.jp-mlservice-job-view[data-job-id="${sayJob}"]`);
  await expect(sayView).toBeVisible();
  // ...whose view links back to its run.
  await expect(sayView.locator('.jp-mlservice-job-pipeline')).toHaveText('Step say of its pipeline');
  await sayView.locator('.jp-mlservice-job-pipeline').click();
  await expect(studio.locator('.jp-mlservice-studio')).toHaveAttribute('data-path', `pipelines/${id}`);

  // The run's deep link restores on reload; Enter on a focused node opens its job too.
  await loadPage(page, `/lab/mlservice/pipelines/${id}`);
  const restored = page.locator(`#jp-mlservice-studio .jp-mlservice-pipeline-view[data-pipeline-id="${id}"]`);
  await expect(restored.locator('g.jp-mlservice-pipeline-node[data-status="completed"]')).toHaveCount(3);
  const shoutJob = run.steps.find((s: any) => s.name === 'shout').job_id;
  await restored.locator('g.jp-mlservice-pipeline-node[data-step="shout"]').focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('#jp-mlservice-studio .jp-mlservice-studio')).toHaveAttribute('data-path', `jobs/${shoutJob}`);

  // Rerun from "shout": a new run where say and count are reused and shout runs again.
  await loadPage(page, `/lab/mlservice/pipelines/${id}`);
  await restored.locator('g.jp-mlservice-pipeline-node[data-step="shout"]').focus();
  await restored.getByRole('button', { name: 'Rerun from here' }).click();
  await expect.poll(() => new URL(page.url()).pathname).not.toBe(`/lab/mlservice/pipelines/${id}`);
  const rerunId = new URL(page.url()).pathname.split('/').pop()!;
  const rerun = page.locator(`#jp-mlservice-studio .jp-mlservice-pipeline-view[data-pipeline-id="${rerunId}"]`);
  await expect(rerun.locator('g.jp-mlservice-pipeline-node[data-step="shout"]')).toHaveAttribute('data-status', 'completed', { timeout: 240000 });
  await expect(rerun.locator('g.jp-mlservice-pipeline-node[data-step="say"]')).toHaveAttribute('data-status', 'reused');
  await expect(rerun.locator('g.jp-mlservice-pipeline-node[data-step="say"] .jp-mlservice-pipeline-node-reused-from')).toContainText('reused from job');
  await expect(rerun.locator('g.jp-mlservice-pipeline-node[data-step="count"]')).toHaveAttribute('data-status', 'reused');
  await rerun.locator('g.jp-mlservice-pipeline-node[data-step="say"]').focus();
  await expect(rerun.locator('.jp-mlservice-pipeline-step .jp-mlservice-pipeline-why')).not.toBeEmpty();
  for (const theme of ['JupyterLab Light', 'JupyterLab Dark'] as const) {
    await setTheme(page, theme);
    await page.locator('#jp-mlservice-studio').screenshot({ path: path.join(SHOTS, `pipeline-rerun-${theme === 'JupyterLab Dark' ? 'dark' : 'light'}.png`) });
  }
  await setTheme(page, 'JupyterLab Light');
  const rerunRun = await (await request.get(`${API}/pipelines/${rerunId}`)).json();
  expect(rerunRun.rerun_of).toBe(id);

  // The list: both runs, with steps done and reused.
  await openStudio(page, 'pipelines');
  await expect(studio.locator(`tr[data-pipeline-id="${rerunId}"] td[data-column="reused"]`)).toHaveText('2');
  await expect(studio.locator(`tr[data-pipeline-id="${rerunId}"] .jp-mlservice-pipeline-rerun-chip`)).toHaveText('rerun');
  await expect(studio.locator(`tr[data-pipeline-id="${id}"] td[data-column="steps"]`)).toHaveText('3 of 3');
  for (const theme of ['JupyterLab Light', 'JupyterLab Dark'] as const) {
    await setTheme(page, theme);
    await studio.screenshot({ path: path.join(SHOTS, `pipelines-list-${theme === 'JupyterLab Dark' ? 'dark' : 'light'}.png`) });
  }
  await setTheme(page, 'JupyterLab Light');

  // A *.pipeline.yaml file: "Open as Pipeline Graph" from the file browser draws it (no statuses).
  await page.evaluate(() => (window as any).jupyterapp.shell.expandLeft());
  await page.contents.uploadContent(YAML, 'text', `${tmpPath}/ui.pipeline.yaml`);
  await page.contents.uploadContent(BROKEN, 'text', `${tmpPath}/broken.pipeline.yaml`);
  await page.filebrowser.openDirectory(tmpPath);
  await page.filebrowser.refresh();
  await page.locator('.jp-DirListing-item', { hasText: 'ui.pipeline.yaml' }).click({ button: 'right' });
  await page.getByRole('menuitem', { name: 'Open as Pipeline Graph' }).click();
  const file = page.locator(`.jp-mlservice-pipeline-file[data-path="${tmpPath}/ui.pipeline.yaml"]`);
  await expect(file).toHaveAttribute('data-state', 'drawn');
  await expect(file.locator('g.jp-mlservice-pipeline-node')).toHaveCount(2);
  await expect(file.locator('g.jp-mlservice-pipeline-node[data-step="first"]')).toHaveAttribute('data-status', 'planned');
  await expect(file.locator('.jp-mlservice-pipeline-edge-label', { hasText: 'out → data (folder)' })).toHaveCount(1);
  expect(await seriousViolations(page, '.jp-mlservice-pipeline-file')).toEqual([]);
  // Changed on disk: "Refresh" reads and draws it again.
  await page.contents.uploadContent(
    `${YAML}  third:\n    type: command\n    command: cat \${{inputs.data}}/n.txt\n    inputs: {data: "\${{parent.jobs.first.outputs.out}}"}\n`,
    'text',
    `${tmpPath}/ui.pipeline.yaml`
  );
  await file.getByRole('button', { name: 'Refresh' }).click();
  await expect(file.locator('g.jp-mlservice-pipeline-node')).toHaveCount(3);

  // A broken one says what the server found wrong, in place of the graph.
  await page.evaluate(
    async (p: string) => {
      await (window as any).jupyterapp.commands.execute('mlservice:open-pipeline-graph', { path: p });
    },
    `${tmpPath}/broken.pipeline.yaml`
  );
  const broken = page.locator(`.jp-mlservice-pipeline-file[data-path="${tmpPath}/broken.pipeline.yaml"]`);
  await expect(broken).toHaveAttribute('data-state', 'invalid');
  await expect(broken.locator('.jp-mlservice-pipeline-problem')).toContainText('nowhere');

  // Cancel from the list (a multi-select action): the waiting step is canceled, the one after it skipped.
  const slow = await request.post(`${API}/pipelines`, { data: { pipeline: SLOW, experiment: 'ui-pipelines' } });
  expect(slow.status()).toBe(201);
  const slowId: string = (await slow.json()).id;
  await openStudio(page, 'pipelines');
  const slowRow = studio.locator(`tr[data-pipeline-id="${slowId}"]`);
  await expect(slowRow.locator('[data-status="Running"]')).toBeVisible({ timeout: 60000 });
  await slowRow.getByRole('checkbox', { name: `Select ${SLOW.name}` }).check();
  await studio.locator('.jp-mlservice-action-cancel').click();
  await expect(slowRow.locator('[data-status="Canceled"]')).toBeVisible({ timeout: 60000 });
  await slowRow.locator('a.jp-mlservice-entity-link').click();
  const slowView = studio.locator(`.jp-mlservice-pipeline-view[data-pipeline-id="${slowId}"]`);
  await expect(slowView.locator('g.jp-mlservice-pipeline-node[data-step="wait"]')).toHaveAttribute('data-status', /canceled|skipped/);
  await expect(slowView.locator('g.jp-mlservice-pipeline-node[data-step="after"]')).toHaveAttribute('data-status', 'skipped');
  await expect(slowView.getByRole('button', { name: 'Cancel', exact: true })).toHaveCount(0);
});
