import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  InputDialog,
  Notification,
  ToolbarButton,
  WidgetTracker
} from '@jupyterlab/apputils';
import { IEditorServices } from '@jupyterlab/codeeditor';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import * as nbformat from '@jupyterlab/nbformat';
import { INotebookModel, INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { CommandToolbarButton, ReactWidget, addIcon, refreshIcon } from '@jupyterlab/ui-components';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';
import * as React from 'react';

import * as api from './api/client';
import type { Job, Run } from './api/client';
import { ComputeSection } from './components/ComputeSection';
import { ExperimentsSection } from './components/ExperimentsSection';
import { SubmitForm, TargetForm } from './components/forms';
import { JobsSection } from './components/JobsSection';
import { confirm, formDialog } from './dialogs';
import { mlserviceIcon } from './icons';
import { CompareModel } from './models/compare';
import { JobEvents } from './models/events';
import { ExperimentsModel } from './models/experiments';
import { JobDetailModel } from './models/jobDetail';
import { JobsModel } from './models/jobs';
import { attempt, notifyModelErrors, readSavedNotebook } from './notify';
import { ISubmitForm, SubmitFormErrors, initialSubmitForm, validateSubmitForm } from './models/submit';
import { ITargetForm, TargetFormErrors, TargetsModel, validateTargetForm } from './models/targets';
import { notebookParameters } from './parameters';
import { MLServiceSidebar } from './sidebar';
import { CommandIDs, IMLServiceSidebar, PALETTE_CATEGORY } from './tokens';
import { CompareWidget, JobDetailWidget, createNotebookViewer } from './views';
import { widgetPlugin } from './widget/plugin';
import { servingPlugin } from './serving';
import { schedulesPlugin } from './schedules';

export * from './tokens';


const plugin: JupyterFrontEndPlugin<IMLServiceSidebar> = {
  id: 'jupyter_mlservice:plugin',
  description: 'ML Service sidebar: compute targets, jobs, experiments, run details.',
  autoStart: true,
  provides: IMLServiceSidebar,
  optional: [
    ILayoutRestorer,
    ICommandPalette,
    INotebookTracker,
    IFileBrowserFactory,
    IRenderMimeRegistry,
    IEditorServices
  ],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    notebooks: INotebookTracker | null,
    browsers: IFileBrowserFactory | null,
    rendermime: IRenderMimeRegistry | null,
    editorServices: IEditorServices | null
  ): IMLServiceSidebar => {
    const { commands, shell } = app;
    const events = new JobEvents((app.serviceManager as any).events ?? null);
    const targets = new TargetsModel({ events });
    const jobs = new JobsModel({ events });
    const experiments = new ExperimentsModel({ events });
    notifyModelErrors(targets, 'Compute targets');
    notifyModelErrors(jobs, 'Jobs');
    notifyModelErrors(experiments, 'Experiments');

    // ---- main-area widgets -------------------------------------------------------------
    const tracker = new WidgetTracker<JobDetailWidget>({ namespace: 'mlservice-job' });
    if (restorer) {
      void restorer.restore(tracker, {
        command: CommandIDs.openJob,
        args: widget => ({ id: widget.model.id }),
        name: widget => widget.model.id
      });
    }

    const openJob = async (id: string): Promise<JobDetailWidget> => {
      const existing = tracker.find(w => w.model.id === id);
      if (existing) {
        shell.activateById(existing.id);
        return existing;
      }
      const model = new JobDetailModel({ id, events });
      const widget = new JobDetailWidget(model, {
        onCancel: () => void commands.execute(CommandIDs.cancelJob, { id }),
        onRerun: () => void commands.execute(CommandIDs.rerunJob, { id }),
        onOpenNotebook: path => void commands.execute(CommandIDs.openExecutedNotebook, { id, path })
      });
      await tracker.add(widget);
      shell.add(widget, 'main');
      shell.activateById(widget.id);
      return widget;
    };

    /** A job id from the args, or picked from the latest jobs. */
    const pickJob = async (args: any, label: string, filter?: (job: Job) => boolean) => {
      if (args.id) {
        return String(args.id);
      }
      const page = await api.listJobs({ limit: 50 });
      const items = page.items.filter(filter ?? (() => true));
      if (items.length === 0) {
        Notification.info('No matching jobs.');
        return null;
      }
      const names = items.map(j => `${j.display_name || j.id} [${j.status}] ${j.id}`);
      const answer = await InputDialog.getItem({ title: label, items: names });
      if (!answer.button.accept || answer.value === null) {
        return null;
      }
      return items[names.indexOf(answer.value)].id;
    };

    // ---- commands ----------------------------------------------------------------------
    commands.addCommand(CommandIDs.openSidebar, {
      label: 'Show ML Service Sidebar',
      icon: mlserviceIcon,
      execute: () => shell.activateById(sidebar.id)
    });

    commands.addCommand(CommandIDs.refresh, {
      label: 'Refresh ML Service',
      caption: 'Refresh compute targets, jobs and experiments',
      icon: args => (args.toolbar ? refreshIcon : undefined),
      execute: () => Promise.all([targets.refresh(), jobs.refresh(), experiments.refresh()])
    });

    commands.addCommand(CommandIDs.createTarget, {
      label: args => (args.toolbar ? '' : 'Create Compute Target…'),
      caption: 'Create a compute target',
      icon: args => (args.toolbar ? addIcon : undefined),
      execute: async () => {
        const body = await formDialog<ITargetForm, TargetFormErrors, api.TargetCreate>({
          title: 'Create compute target',
          okLabel: 'Create',
          initial: { name: '', type: targets.backends[0] ?? 'local', description: '', settings: '' },
          validate: value => {
            const checked = validateTargetForm(value, targets.items.map(t => t.name));
            return { result: checked.body, errors: checked.errors };
          },
          render: (value, errors, onChange) => (
            <TargetForm value={value} errors={errors} onChange={onChange} types={targets.backends} />
          )
        });
        if (body) {
          const created = await attempt('Create compute target', () => targets.create(body));
          if (created) {
            Notification.success(`Created compute target "${created.name}".`, { autoClose: 3000 });
          }
          return created;
        }
      }
    });

    commands.addCommand(CommandIDs.deleteTarget, {
      label: 'Delete Compute Target…',
      execute: async args => {
        let name = args.name as string | undefined;
        if (!name) {
          const answer = await InputDialog.getItem({
            title: 'Delete compute target',
            items: targets.items.map(t => t.name)
          });
          if (!answer.button.accept || !answer.value) {
            return;
          }
          name = answer.value;
        }
        const ok = await confirm(
          'Delete compute target',
          `Delete the compute target "${name}"? Jobs that ran on it keep their records.`,
          'Delete'
        );
        if (ok) {
          await attempt(`Delete compute target "${name}"`, () => targets.remove(name!));
        }
      }
    });

    commands.addCommand(CommandIDs.openJob, {
      label: 'Open Job…',
      execute: async args => {
        const id = await attempt('Open job', () => pickJob(args, 'Open job'));
        if (id) {
          return openJob(id);
        }
      }
    });

    commands.addCommand(CommandIDs.cancelJob, {
      label: 'Cancel Job…',
      execute: async args => {
        const id = await attempt('Cancel job', () =>
          pickJob(args, 'Cancel job', j => !api.TERMINAL_STATUSES.has(j.status))
        );
        if (id) {
          const job = await attempt('Cancel job', () => jobs.cancel(id));
          void tracker.find(w => w.model.id === id)?.model.refresh();
          return job;
        }
      }
    });

    commands.addCommand(CommandIDs.rerunJob, {
      label: 'Re-run Job…',
      execute: async args => {
        const id = await attempt('Re-run job', () =>
          pickJob(args, 'Re-run job', j => api.TERMINAL_STATUSES.has(j.status))
        );
        if (id) {
          const job = await attempt('Re-run job', () => jobs.rerun(id));
          if (job) {
            Notification.success(`Submitted job ${job.id} (re-run of ${id}).`, { autoClose: 3000 });
            await openJob(job.id);
          }
          return job;
        }
      }
    });

    commands.addCommand(CommandIDs.openExecutedNotebook, {
      label: 'Open Executed Notebook of Job…',
      execute: async args => {
        const id = await attempt('Open executed notebook', () =>
          pickJob(args, 'Open the executed notebook of', j => j.kind === 'notebook' && api.TERMINAL_STATUSES.has(j.status))
        );
        if (!id) {
          return;
        }
        await attempt('Open executed notebook', async () => {
          let path = args.path as string | undefined;
          if (!path) {
            const artifacts = (await api.listJobArtifacts(id)).items;
            path = artifacts.find(a => !a.is_dir && a.path.endsWith('.ipynb'))?.path;
            if (!path) {
              throw new Error(`Job ${id} kept no executed notebook.`);
            }
          }
          const text = await api.fetchJobArtifact(id, path);
          if (!rendermime || !editorServices) {
            window.open(api.jobArtifactUrl(id, path), '_blank');
            return;
          }
          const widget = createNotebookViewer({
            title: `${path} · job ${id.slice(0, 8)}`,
            content: JSON.parse(text) as nbformat.INotebookContent,
            rendermime,
            editorServices
          });
          widget.id = `jp-mlservice-executed-${id}`;
          shell.add(widget, 'main');
          shell.activateById(widget.id);
        });
      }
    });

    commands.addCommand(CommandIDs.compareRuns, {
      label: 'Compare Selected Runs',
      isEnabled: () => experiments.selectedRuns.length > 0,
      execute: () => openCompare(experiments.selectedRuns)
    });

    const openCompare = (runs: Run[]) => {
      if (runs.length === 0) {
        Notification.info('Select runs to compare in the Experiments section.');
        return;
      }
      const widget = new CompareWidget(new CompareModel({ runs }));
      widget.id = `jp-mlservice-compare-${Date.now()}`;
      shell.add(widget, 'main');
      shell.activateById(widget.id);
    };

    // ---- submit a notebook -------------------------------------------------------------
    /** The notebook path the command acts on: args, the file browser, or the current notebook. */
    const notebookPath = (args: any): string | null => {
      if (args.path) {
        return String(args.path);
      }
      if (args.fromBrowser && browsers?.tracker.currentWidget) {
        for (const item of browsers.tracker.currentWidget.selectedItems()) {
          if (item.type === 'notebook') {
            return item.path;
          }
        }
      }
      return notebooks?.currentWidget?.context.path ?? null;
    };

    commands.addCommand(CommandIDs.submitNotebook, {
      label: args => (args.toolbar ? 'Submit as job' : 'Submit Notebook as Job…'),
      caption: 'Run the saved notebook as a job on a compute target',
      icon: args => (args.toolbar ? mlserviceIcon : undefined),
      isEnabled: args => notebookPath(args) !== null,
      execute: async args => {
        const path = notebookPath(args);
        if (!path) {
          return;
        }
        // The job runs the saved file: save an open, modified notebook first.
        const content =
          (await attempt('Read notebook', () => readSavedNotebook(app.serviceManager.contents, notebooks, path))) ?? null;
        await attempt('Load compute targets', () => targets.refresh());
        const names = targets.items.map(t => t.name);
        const spec = await formDialog<ISubmitForm, SubmitFormErrors, Partial<api.NotebookJobSpec> & { kind: 'notebook' }>({
          title: 'Submit notebook as job',
          okLabel: 'Submit',
          initial: initialSubmitForm(path, notebookParameters(content), names),
          validate: value => {
            const checked = validateSubmitForm(value, names);
            return { result: checked.spec, errors: checked.errors };
          },
          render: (value, errors, onChange) => (
            <SubmitForm value={value} errors={errors} onChange={onChange} targets={names} />
          )
        });
        if (!spec) {
          return;
        }
        const job = await attempt('Submit job', () => api.submitJob(spec));
        if (job) {
          Notification.success(`Submitted job ${job.id} to "${job.target}".`, {
            autoClose: 4000,
            actions: [{ label: 'Open', callback: () => void openJob(job.id) }]
          });
          void jobs.refresh();
          void targets.refresh();
        }
        return job;
      }
    });

    // ---- the sidebar -------------------------------------------------------------------
    const sidebar = new MLServiceSidebar();
    const toolbarButton = (id: string) =>
      new CommandToolbarButton({ commands, id, args: { toolbar: true } });

    sidebar.addSection({
      id: 'jp-mlservice-compute',
      label: 'Compute',
      rank: 100,
      widget: ReactWidget.create(
        <ComputeSection
          model={targets}
          onCreate={() => void commands.execute(CommandIDs.createTarget)}
          onDelete={name => void commands.execute(CommandIDs.deleteTarget, { name })}
        />
      ),
      toolbar: [
        { name: 'create-target', widget: toolbarButton(CommandIDs.createTarget) },
        { name: 'refresh', widget: toolbarButton(CommandIDs.refresh) }
      ]
    });
    sidebar.addSection({
      id: 'jp-mlservice-jobs',
      label: 'Jobs',
      rank: 200,
      size: 3,
      widget: ReactWidget.create(
        <JobsSection
          model={jobs}
          targets={targets}
          onOpen={job => void openJob(job.id)}
          onCancel={job => void commands.execute(CommandIDs.cancelJob, { id: job.id })}
          onRerun={job => void commands.execute(CommandIDs.rerunJob, { id: job.id })}
        />
      )
    });
    sidebar.addSection({
      id: 'jp-mlservice-experiments',
      label: 'Experiments',
      rank: 300,
      size: 2,
      widget: ReactWidget.create(
        <ExperimentsSection
          model={experiments}
          onCompare={runs => openCompare(runs)}
          onOpenJob={id => void openJob(id)}
        />
      )
    });
    shell.add(sidebar, 'left', { rank: 850 });
    restorer?.add(sidebar, sidebar.id);

    if (palette) {
      for (const command of Object.values(CommandIDs)) {
        palette.addItem({ command, category: PALETTE_CATEGORY });
      }
    }

    // ---- notebook toolbar and file browser ---------------------------------------------
    app.docRegistry.addWidgetExtension('Notebook', new SubmitButtonExtension(commands));
    app.contextMenu.addItem({
      command: CommandIDs.submitNotebook,
      args: { fromBrowser: true },
      selector: '.jp-DirListing-item[data-file-type="notebook"]',
      rank: 60
    });

    return sidebar;
  }
};

/** Adds "Submit as job" to every notebook's toolbar. */
class SubmitButtonExtension
  implements DocumentRegistry.IWidgetExtension<NotebookPanel, INotebookModel>
{
  constructor(private _commands: JupyterFrontEnd['commands']) {}

  createNew(panel: NotebookPanel): IDisposable {
    const button = new ToolbarButton({
      className: 'jp-mlservice-submit-button',
      icon: mlserviceIcon,
      label: 'Submit as job',
      tooltip: 'Run the saved notebook as a job on a compute target',
      onClick: () =>
        void this._commands.execute(CommandIDs.submitNotebook, { path: panel.context.path })
    });
    panel.toolbar.insertAfter('cellType', 'mlservice-submit', button);
    return new DisposableDelegate(() => button.dispose());
  }
}

export default [plugin, widgetPlugin, servingPlugin, schedulesPlugin];
