/**
 * Galata's `test`, with more time for JupyterLab to start: Galata gives the application 15 s
 * to start and show its Launcher, which a loaded CI machine (or this shared one) exceeds.
 * Every wait Galata makes (start, Launcher, helpers) gets two minutes unless it says otherwise.
 */
import { test as base } from '@jupyterlab/galata';

export { expect } from '@jupyterlab/galata';

const SLOW_START_MS = 120000;

export const test = base.extend({
  autoGoto: false,
  page: async ({ page, tmpPath }, use) => {
    const helpers = page as any;
    const waitForCondition = helpers.waitForCondition.bind(helpers);
    helpers.waitForCondition = (condition: () => boolean | Promise<boolean>, timeout?: number) =>
      waitForCondition(condition, timeout ?? SLOW_START_MS);
    // What Galata does with autoGoto: JupyterLab on the test's folder, its workspace reset.
    await page.goto(`tree/${tmpPath}?reset`);
    await use(page);
  }
});
