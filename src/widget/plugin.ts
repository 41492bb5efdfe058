import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { IJupyterWidgetRegistry } from '@jupyter-widgets/base';

import { IMLServiceStudio } from '../tokens';
import { studioLinks } from './links';
import { JobWidgetModel, JobWidgetView } from './widget';
import { MODULE_NAME, MODULE_VERSION } from './version';

/** Registers the live run widget (`JobWidget` in jupyter_mlservice/widgets.py) with ipywidgets. */
export const widgetPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter_mlservice:run-widget',
  description: 'The live run widget shown by job.show() and %%mlrun.',
  autoStart: true,
  requires: [IJupyterWidgetRegistry],
  optional: [IMLServiceStudio],
  activate: (_app: JupyterFrontEnd, registry: IJupyterWidgetRegistry, studio: IMLServiceStudio | null): void => {
    if (studio) {
      studioLinks.link = path => studio.link(path);
      studioLinks.open = path => void studio.open(path);
    }
    registry.registerWidget({
      name: MODULE_NAME,
      version: MODULE_VERSION,
      exports: { JobWidgetModel, JobWidgetView }
    });
  }
};
