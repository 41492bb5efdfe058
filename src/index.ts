/**
 * jupyter_mlservice's JupyterLab plugins. They only wire things together: the
 * studio and its router, the areas (each in src/areas/<area>/), the sidebar's
 * live index and the run widget. None of them calls the API.
 */
import { ILayoutRestorer, IRouter, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IEditorServices } from '@jupyterlab/codeeditor';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator } from '@jupyterlab/translation';

import { activateAreas } from './areas';
import { IAreaContext, addCommand } from './areas/context';
import { mlserviceIcon } from './icons';
import { addLiveIndex } from './liveIndex';
import { ServiceEvents } from './models/events';
import { ServiceSettings } from './settings';
import { MLServiceSidebar } from './sidebar';
import { LINK_PATTERN, pathOfLocation } from './studio/links';
import { MLStudio } from './studio/studio';
import { CommandIDs, IMLServiceSidebar, IMLServiceStudio } from './tokens';
import { setTranslator, trans } from './translate';
import { widgetPlugin } from './widget/plugin';

export * from './tokens';

/** The ML Studio: its widget, deep links (/lab/mlservice/...), settings and the server's events. */
const studioPlugin: JupyterFrontEndPlugin<IMLServiceStudio> = {
  id: 'jupyter_mlservice:plugin',
  description: 'The ML Studio: a main-area home for every area of the ML service, with deep links.',
  autoStart: true,
  provides: IMLServiceStudio,
  optional: [ITranslator, ISettingRegistry, IRouter, ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator | null,
    registry: ISettingRegistry | null,
    router: IRouter | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ): IMLServiceStudio => {
    setTranslator(translator);
    const settings = new ServiceSettings();
    const events = new ServiceEvents((app.serviceManager as any).events ?? null);
    const studio = new MLStudio({ app, router, restorer, events, settings });
    const context: IAreaContext = { app, studio, palette };

    addCommand(context, CommandIDs.openStudio, {
      label: trans.__('ML Studio'),
      caption: trans.__('Open the ML Studio: jobs, experiments, models, endpoints, schedules, compute'),
      icon: mlserviceIcon,
      execute: args => studio.open(String(args.path ?? ''), { tab: !!args.tab })
    });
    addCommand(context, CommandIDs.refresh, {
      label: trans.__('Refresh ML Service'),
      caption: trans.__('Read every list of the ML Studio again'),
      execute: () => studio.refresh()
    });
    // The router sends /lab/mlservice/<path> here, on load and on navigation.
    let linked = false;
    addCommand(
      context,
      CommandIDs.route,
      {
        label: trans.__('Open ML Studio Link'),
        execute: args => {
          const path = pathOfLocation(String(args.path ?? ''));
          if (path !== null) {
            linked = true;
            // After the saved layout is back, so that the link wins over the studio's last place.
            void app.restored.then(() => studio.open(path));
          }
        }
      },
      false
    );
    router?.register({ command: CommandIDs.route, pattern: LINK_PATTERN, rank: 20 });

    if (registry) {
      void registry
        .load(studioPlugin.id)
        .then(loaded => {
          settings.load(loaded);
          return app.restored;
        })
        .then(() => {
          if (settings.openStudioOnStart && !linked && !studio.isOpen) {
            void studio.open('');
          }
        })
        .catch(error => console.warn('jupyter_mlservice: settings not loaded', error));
    }
    return studio;
  }
};

/** The built-in areas, registered through the studio like any other plugin's would be. */
const areasPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter_mlservice:areas',
  description: 'The ML Studio areas: Home, Jobs, Experiments, Models, Endpoints, Schedules, Compute.',
  autoStart: true,
  requires: [IMLServiceStudio],
  optional: [ICommandPalette, INotebookTracker, IFileBrowserFactory, IRenderMimeRegistry, IEditorServices, ILauncher],
  activate: (
    app: JupyterFrontEnd,
    studio: IMLServiceStudio,
    palette: ICommandPalette | null,
    notebooks: INotebookTracker | null,
    browsers: IFileBrowserFactory | null,
    rendermime: IRenderMimeRegistry | null,
    editorServices: IEditorServices | null,
    launcher: ILauncher | null
  ): void => {
    activateAreas({ app, studio, palette }, { notebooks, browsers, rendermime, editorServices, launcher });
  }
};

/** The sidebar: a compact live index (what runs, recent jobs, endpoint health) that opens the studio. */
const sidebarPlugin: JupyterFrontEndPlugin<IMLServiceSidebar> = {
  id: 'jupyter_mlservice:sidebar',
  description: 'ML Service sidebar: what runs, recent jobs and endpoint health; items open the ML Studio.',
  autoStart: true,
  provides: IMLServiceSidebar,
  requires: [IMLServiceStudio],
  optional: [ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    studio: IMLServiceStudio,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ): IMLServiceSidebar => {
    const sidebar = new MLServiceSidebar();
    addLiveIndex(sidebar, studio);
    app.shell.add(sidebar, 'left', { rank: 850 });
    restorer?.add(sidebar, sidebar.id);
    addCommand({ app, studio, palette }, CommandIDs.openSidebar, {
      label: trans.__('Show ML Service Sidebar'),
      icon: mlserviceIcon,
      execute: () => app.shell.activateById(sidebar.id)
    });
    return sidebar;
  }
};

export default [studioPlugin, areasPlugin, sidebarPlugin, widgetPlugin];
