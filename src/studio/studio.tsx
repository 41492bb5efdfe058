import type { ILayoutRestorer, IRouter, JupyterFrontEnd } from '@jupyterlab/application';
import { WidgetTracker } from '@jupyterlab/apputils';
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import { ReactWidget } from '@jupyterlab/ui-components';
import { IDisposable } from '@lumino/disposable';
import type { Message } from '@lumino/messaging';
import type { Widget } from '@lumino/widgets';
import * as React from 'react';

import { copyText } from '../areas/context';
import type { IDetailHost } from '../components/DetailFrame';
import { mlserviceIcon } from '../icons';
import type { ServiceEvents } from '../models/events';
import type { ServiceSettings } from '../settings';
import { CommandIDs, IMLServiceStudio, STUDIO_ID } from '../tokens';
import { trans } from '../translate';
import { joinPath, splitPath, studioUrl } from './links';
import { StudioModel } from './model';
import { AreaRegistry, IArea, IAreaDetail } from './registry';
import { IStudioHost, Studio } from './view';

/** The ML Studio in the main area: one per application, following its model's path. */
export class StudioWidget extends ReactWidget {
  constructor(
    readonly model: StudioModel,
    private _host: IStudioHost
  ) {
    super();
    this.id = STUDIO_ID;
    this.node.tabIndex = -1;
    this.addClass('jp-mlservice-studio-widget');
    this.title.icon = mlserviceIcon;
    this.title.label = trans.__('ML Studio');
    this.title.closable = true;
  }

  render(): JSX.Element {
    return <Studio model={this.model} host={this._host} />;
  }

  protected onActivateRequest(msg: Message): void {
    takeFocus(this);
  }
}

/**
 * Move the focus into a main-area widget being activated: JupyterLab's shell
 * makes the focused widget current (its address bar, its menus), and keyboard
 * users land in what they opened.
 */
function takeFocus(widget: Widget): void {
  if (widget.isAttached && !widget.node.contains(document.activeElement)) {
    widget.node.focus();
  }
}

/** One entity's view in a tab of its own (opened from the studio, or by a command). */
export class ViewWidget extends ReactWidget {
  constructor(
    readonly path: string,
    private _detail: IAreaDetail,
    private _host: IDetailHost
  ) {
    super();
    this.id = `jp-mlservice-view-${path.replace(/[^A-Za-z0-9_-]+/g, '-')}`;
    this.node.tabIndex = -1;
    this.addClass('jp-mlservice-view-widget');
    this.addClass('jp-mlservice-studio-content');
    this.title.icon = mlserviceIcon;
    this.title.label = _detail.label;
    this.title.caption = path;
    this.title.closable = true;
  }

  render(): JSX.Element {
    return this._detail.render(this._host);
  }

  protected onActivateRequest(msg: Message): void {
    takeFocus(this);
  }

  dispose(): void {
    this._detail.dispose?.();
    super.dispose();
  }
}

/**
 * The studio behind IMLServiceStudio: its areas, the main-area widget and the
 * tabs of single views, deep links in and out through JupyterLab's router, and
 * the layout restorer that brings them back on reload.
 */
export class MLStudio implements IMLServiceStudio {
  constructor(options: MLStudio.IOptions) {
    this._app = options.app;
    this._router = options.router;
    this.events = options.events;
    this.settings = options.settings;
    this.model.changed.connect(this._onPathChanged, this);
    this._app.shell.currentChanged?.connect(this._onCurrentChanged, this);
    const restorer = options.restorer;
    if (restorer) {
      void restorer.restore(this._studios, {
        command: CommandIDs.openStudio,
        args: widget => ({ path: widget.model.path }),
        name: () => 'studio'
      });
      void restorer.restore(this._views, {
        command: CommandIDs.openStudio,
        args: widget => ({ path: widget.path, tab: true }),
        name: widget => widget.path
      });
    }
  }

  readonly events: ServiceEvents;
  readonly settings: ServiceSettings;
  readonly registry = new AreaRegistry();
  readonly model = new StudioModel(this.registry);

  get compare() {
    return this.model.compare;
  }

  /** Whether the studio is in the main area now. */
  get isOpen(): boolean {
    return !!this._widget && !this._widget.isDisposed && this._widget.isAttached;
  }

  get areas(): ReadonlyArray<IArea> {
    return this.registry.areas;
  }

  addArea(area: IArea): IDisposable {
    return this.registry.add(area);
  }

  link(path: string): string {
    return studioUrl(joinPath(splitPath(path)));
  }

  async open(path: string, options: { tab?: boolean } = {}): Promise<void> {
    const canonical = joinPath(splitPath(path));
    if (options.tab && this._openTab(canonical)) {
      return;
    }
    const widget = this._studio();
    if (!widget.isAttached) {
      this._app.shell.add(widget, 'main');
      await this._studios.add(widget).catch(() => undefined);
    }
    this.model.navigate(canonical);
    this._app.shell.activateById(widget.id);
    void this._studios.save(widget);
  }

  async refresh(): Promise<void> {
    await Promise.all(this.registry.areas.map(area => area.list?.model.refresh()));
  }

  private _studio(): StudioWidget {
    if (!this._widget || this._widget.isDisposed) {
      const host: IStudioHost = {
        commands: this._app.commands,
        link: path => this.link(path),
        copy: copyText,
        popOut: path => void this.open(path, { tab: true })
      };
      this._widget = new StudioWidget(this.model, host);
      this._widget.disposed.connect(() => {
        // Closed: stop what the shown view polls with.
        this.model.navigate('');
      });
    }
    return this._widget;
  }

  /** Open a path's view in a tab of its own; false when the path has no view. */
  private _openTab(path: string): boolean {
    const existing = this._views.find(w => w.path === path);
    if (existing) {
      this._app.shell.activateById(existing.id);
      return true;
    }
    const [areaId, ...rest] = splitPath(path);
    const area = this.registry.get(areaId);
    const detail = rest.length > 0 ? (area?.detail?.(rest) ?? null) : null;
    if (!detail) {
      return false;
    }
    const host: IDetailHost = {
      link: this.link(path),
      open: target => void this.open(target),
      linkTo: target => this.link(target),
      copy: copyText
    };
    const widget = new ViewWidget(path, detail, host);
    this._app.shell.add(widget, 'main');
    void this._views.add(widget);
    this._app.shell.activateById(widget.id);
    return true;
  }

  /** The studio moved: remember where (for reload), and show it in the address bar. */
  private _onPathChanged(): void {
    const widget = this._widget;
    if (widget && !widget.isDisposed && widget.isAttached) {
      void this._studios.save(widget);
      if (this._app.shell.currentWidget === widget) {
        this._showLink(this.model.path);
      }
    }
  }

  private _onCurrentChanged(): void {
    const current = this._app.shell.currentWidget;
    if (current && current === this._widget) {
      this._showLink(this.model.path);
    } else if (current instanceof ViewWidget) {
      this._showLink(current.path);
    }
  }

  /** Put the studio path in the address bar (no routing: the studio is there already). */
  private _showLink(path: string): void {
    if (!this._router) {
      return;
    }
    const target = URLExt.parse(studioUrl(path)).pathname;
    if (target !== URLExt.parse(window.location.href).pathname) {
      this._router.navigate(target, { skipRouting: true });
    }
    // A document activated next puts its own /tree/ path back in the address bar.
    PageConfig.setOption('treePath', '');
  }

  private _app: JupyterFrontEnd;
  private _router: IRouter | null;
  private _widget: StudioWidget | null = null;
  private _studios = new WidgetTracker<StudioWidget>({ namespace: 'mlservice-studio' });
  private _views = new WidgetTracker<ViewWidget>({ namespace: 'mlservice-view' });
}

export namespace MLStudio {
  export interface IOptions {
    app: JupyterFrontEnd;
    router: IRouter | null;
    restorer: ILayoutRestorer | null;
    events: ServiceEvents;
    settings: ServiceSettings;
  }
}
