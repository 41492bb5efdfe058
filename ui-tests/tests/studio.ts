/** Helpers of the UI tests that drive the ML Studio. */
import AxeBuilder from '@axe-core/playwright';
import { expect } from './fixtures';

export const API = '/mlservice/api';

/** Open the studio at a path ("", "jobs", "endpoints/iris") through its command, and wait for it. */
export async function openStudio(page: any, path = ''): Promise<any> {
  await page.evaluate(
    async (p: string) => (window as any).jupyterapp.commands.execute('mlservice:open-studio', { path: p }),
    path
  );
  const studio = page.locator('#jp-mlservice-studio');
  await expect(studio).toBeVisible();
  await expect(studio.locator('.jp-mlservice-studio')).toHaveAttribute('data-path', path);
  return studio;
}

export async function setTheme(page: any, theme: 'JupyterLab Light' | 'JupyterLab Dark'): Promise<void> {
  await page.evaluate(async (name: string) => {
    await (window as any).jupyterapp.commands.execute('apputils:change-theme', { theme: name });
  }, theme);
  await page.waitForFunction(
    (dark: boolean) => document.body.dataset.jpThemeLight === (dark ? 'false' : 'true'),
    theme === 'JupyterLab Dark'
  );
  await page.waitForTimeout(300);
}

/** The serious and critical accessibility violations axe-core finds inside `selector`. */
export async function seriousViolations(page: any, selector: string): Promise<string[]> {
  const results = await new AxeBuilder({ page }).include(selector).analyze();
  return results.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map(n => n.target.join(' ')).join(', ')}`);
}

/** Submit a code job through the API and wait until it has ended; returns the job. */
export async function runCodeJob(request: any, body: Record<string, unknown>, timeout = 240000): Promise<any> {
  const submitted = await request.post(`${API}/jobs`, { data: { kind: 'code', ...body } });
  expect(submitted.status()).toBe(201);
  const job = await submitted.json();
  await expect
    .poll(async () => (await (await request.get(`${API}/jobs/${job.id}`)).json()).status, { timeout, intervals: [1000] })
    .toMatch(/Completed|Failed|Canceled/);
  return (await request.get(`${API}/jobs/${job.id}`)).json();
}

/**
 * Load a JupyterLab URL as a user would (a deep link, a reload) and wait until the application
 * has restored its layout. Galata's own goto/reload also wait for a Launcher, which a page opened
 * on a studio link does not show.
 */
export async function loadPage(page: any, url?: string): Promise<void> {
  const raw = page.page; // the Playwright page under Galata's helpers
  if (url === undefined) {
    await raw.reload({ waitUntil: 'domcontentloaded' });
  } else {
    await raw.goto(url, { waitUntil: 'domcontentloaded' });
  }
  await raw.waitForFunction(() => typeof (window as any).jupyterapp === 'object', null, { timeout: 120000 });
  await raw.evaluate(async () => {
    await (window as any).jupyterapp.restored;
  });
}

/** Wait until the workspace JupyterLab saved holds this restorable widget (e.g. before a reload). */
export async function waitForSavedLayout(page: any, name: string): Promise<void> {
  await expect
    .poll(
      async () =>
        page.evaluate(async () => {
          const response = await fetch('/lab/api/workspaces/default', { credentials: 'same-origin' });
          return JSON.stringify((await response.json()).data ?? {});
        }),
      { timeout: 60000 }
    )
    .toContain(name);
}
