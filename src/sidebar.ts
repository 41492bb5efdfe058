import { PanelWithToolbar, SidePanel } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import { AccordionPanel } from '@lumino/widgets';

import { mlserviceIcon } from './icons';
import { IMLServiceSidebar, ISidebarSection, SIDEBAR_ID } from './tokens';
import { trans } from './translate';

/**
 * The "ML Service" side panel: a compact live index whose items open the ML
 * Studio, as an accordion of sections ordered by rank. It owns no data; each
 * section brings its own model and view.
 */
export class MLServiceSidebar extends SidePanel implements IMLServiceSidebar {
  constructor() {
    super();
    this.id = SIDEBAR_ID;
    this.addClass('jp-mlservice-sidebar');
    this.title.icon = mlserviceIcon;
    this.title.caption = trans.__('ML Service');
    const label = document.createElement('h2');
    label.textContent = trans.__('ML Service');
    label.className = 'jp-mlservice-sidebar-title';
    this.header.node.appendChild(label);
  }

  get sections(): ReadonlyArray<ISidebarSection> {
    return this._sections;
  }

  addSection(section: ISidebarSection): void {
    const panel = new PanelWithToolbar();
    panel.id = section.id;
    panel.addClass('jp-mlservice-section');
    panel.title.label = section.label;
    panel.addWidget(section.widget);
    for (const item of section.toolbar ?? []) {
      panel.toolbar.addItem(item.name, item.widget);
    }
    let index = this._sections.findIndex(s => s.rank > section.rank);
    if (index < 0) {
      index = this._sections.length;
    }
    this._sections.splice(index, 0, section);
    this.insertWidget(index, panel);
    this._sized = false;
    if (this.isVisible) {
      this._share();
    }
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (!this._sized) {
      this._share();
    }
  }

  /** Long lists (jobs, runs) get a larger share of the height than short ones, once laid out. */
  private _share(): void {
    requestAnimationFrame(() => {
      const content = this.content;
      if (content instanceof AccordionPanel && this.isVisible) {
        content.setRelativeSizes(this._sections.map(s => s.size ?? 1), true);
        this._sized = true;
      }
    });
  }

  private _sized = false;

  private _sections: ISidebarSection[] = [];
}
