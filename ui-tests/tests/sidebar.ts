/** Helpers shared by the UI tests. */

/** Collapse every sidebar section but the given ones, and share the height between those. */
export async function showOnly(page: any, ids: string[]): Promise<void> {
  await page.evaluate((keep: string[]) => {
    const app = (window as any).jupyterapp;
    const sidebar = [...app.shell.widgets('left')].find((w: any) => w.id === 'jp-mlservice-sidebar');
    const accordion = sidebar.content;
    accordion.widgets.forEach((widget: any, index: number) => {
      const wanted = keep.includes(widget.id);
      if (wanted && widget.isHidden) {
        accordion.expand(index);
      } else if (!wanted && !widget.isHidden) {
        accordion.collapse(index);
      }
    });
    accordion.setRelativeSizes(accordion.widgets.map((w: any) => (keep.includes(w.id) ? 1 : 0)));
  }, ids);
  await page.waitForTimeout(200);
}
