/**
 * The Jobs area's commands and the dialogs they show: submit a notebook as a
 * job (notebook toolbar, file browser, palette), open, cancel and re-run jobs,
 * read an executed notebook. Each calls a model method; the model calls the API.
 */
import { InputDialog, Notification } from '@jupyterlab/apputils';
import type { IEditorServices } from '@jupyterlab/codeeditor';
import type { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import type * as nbformat from '@jupyterlab/nbformat';
import type { INotebookTracker } from '@jupyterlab/notebook';
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import * as React from 'react';

import type { Job, NotebookJobSpec } from '../../api/client';
import { isJobEnded } from '../../api/statuses';
import { Field, IFormProps, SelectField, TextField, binder } from '../../components/forms';
import { NotebookButton } from '../../components/NotebookButton';
import { createNotebookViewer } from '../../components/NotebookViewer';
import { formDialog } from '../../dialogs';
import { mlserviceIcon } from '../../icons';
import { attempt, readSavedNotebook } from '../../notify';
import { notebookParameters } from '../../parameters';
import { trans } from '../../translate';
import { targetNames } from '../compute/model';
import { IAreaContext, addCommand } from '../context';
import { ISubmitForm, SubmitFormErrors, initialSubmitForm, validateSubmitForm } from './forms';
import { JobsModel } from './model';
import { jobName } from './view';

export namespace JobCommandIDs {
  export const submitNotebook = 'mlservice:submit-notebook';
  export const openJob = 'mlservice:open-job';
  export const cancelJob = 'mlservice:cancel-job';
  export const rerunJob = 'mlservice:rerun-job';
  export const openExecutedNotebook = 'mlservice:open-executed-notebook';
}

/** What the Jobs commands use beyond the studio: notebooks, the file browser, a notebook renderer. */
export interface IJobServices {
  notebooks: INotebookTracker | null;
  browsers: IFileBrowserFactory | null;
  rendermime: IRenderMimeRegistry | null;
  editorServices: IEditorServices | null;
}

/** Job ids from the args: one (`id`) or several (`ids`). */
function idsOf(args: ReadonlyPartialJSONObject): string[] {
  if (Array.isArray(args.ids)) {
    return args.ids.map(String);
  }
  return args.id ? [String(args.id)] : [];
}

export function addJobCommands(context: IAreaContext, model: JobsModel, services: IJobServices): void {
  const { app, studio } = context;
  const { notebooks, browsers } = services;
  const openJob = (id: string) => studio.open(`jobs/${encodeURIComponent(id)}`);

  /** Job ids from the args, or one picked from the latest jobs. */
  const pickJobs = async (args: ReadonlyPartialJSONObject, title: string, filter: (job: Job) => boolean) => {
    const given = idsOf(args);
    if (given.length > 0) {
      return given;
    }
    const items = (await model.latest(50)).filter(filter);
    if (items.length === 0) {
      Notification.info(trans.__('No matching jobs.'));
      return [];
    }
    const names = items.map(j => `${jobName(j)} [${j.status}] ${j.id}`);
    const answer = await InputDialog.getItem({ title, items: names });
    if (!answer.button.accept || answer.value === null) {
      return [];
    }
    return [items[names.indexOf(answer.value)].id];
  };

  addCommand(context, JobCommandIDs.openJob, {
    label: trans.__('Open Job…'),
    execute: async args => {
      const [id] = (await attempt(trans.__('Open job'), () => pickJobs(args, trans.__('Open job'), () => true))) ?? [];
      if (id) {
        await openJob(id);
      }
    }
  });

  addCommand(context, JobCommandIDs.cancelJob, {
    label: trans.__('Cancel Job…'),
    execute: async args => {
      const ids =
        (await attempt(trans.__('Cancel job'), () =>
          pickJobs(args, trans.__('Cancel job'), j => !isJobEnded(j.status) && j.status !== 'CancelRequested')
        )) ?? [];
      const canceled: Job[] = [];
      for (const id of ids) {
        const job = await attempt(trans.__('Cancel job %1', id), () => model.cancel(id));
        if (job) {
          canceled.push(job);
        }
      }
      return ids.length === 1 ? canceled[0] : canceled;
    }
  });

  addCommand(context, JobCommandIDs.rerunJob, {
    label: trans.__('Re-run Job…'),
    execute: async args => {
      const ids = (await attempt(trans.__('Re-run job'), () => pickJobs(args, trans.__('Re-run job'), j => isJobEnded(j.status)))) ?? [];
      const submitted: Job[] = [];
      for (const id of ids) {
        const job = await attempt(trans.__('Re-run job %1', id), () => model.rerun(id));
        if (job) {
          submitted.push(job);
          Notification.success(trans.__('Submitted job %1 (re-run of %2).', job.id, id), {
            autoClose: 3000,
            actions: [{ label: trans.__('Open'), callback: () => void openJob(job.id) }]
          });
        }
      }
      if (submitted.length === 1 && ids.length === 1) {
        await openJob(submitted[0].id);
        return submitted[0];
      }
      return submitted;
    }
  });

  addCommand(context, JobCommandIDs.openExecutedNotebook, {
    label: trans.__('Open Executed Notebook of Job…'),
    execute: async args => {
      const [id] =
        (await attempt(trans.__('Open executed notebook'), () =>
          pickJobs(args, trans.__('Open the executed notebook of'), j => j.kind === 'notebook' && isJobEnded(j.status))
        )) ?? [];
      if (!id) {
        return;
      }
      await attempt(trans.__('Open executed notebook'), async () => {
        const path = args.path ? String(args.path) : await model.executedNotebook(id);
        if (!path) {
          throw new Error(trans.__('Job %1 kept no executed notebook.', id));
        }
        const { rendermime, editorServices } = services;
        if (!rendermime || !editorServices) {
          window.open(model.artifactUrl(id, path), '_blank');
          return;
        }
        const text = await model.fetchArtifact(id, path);
        const widget = createNotebookViewer({
          title: trans.__('%1 · job %2', path, id.slice(0, 8)),
          content: JSON.parse(text) as nbformat.INotebookContent,
          rendermime,
          editorServices
        });
        widget.id = `jp-mlservice-executed-${id}`;
        app.shell.add(widget, 'main');
        app.shell.activateById(widget.id);
      });
    }
  });

  /** The notebook path the command acts on: args, the file browser, or the current notebook. */
  const notebookPath = (args: ReadonlyPartialJSONObject): string | null => {
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

  addCommand(context, JobCommandIDs.submitNotebook, {
    label: args => (args.toolbar ? trans.__('Submit as job') : trans.__('Submit Notebook as Job…')),
    caption: trans.__('Run the saved notebook as a job on a compute target'),
    icon: args => (args.toolbar ? mlserviceIcon : undefined),
    isEnabled: args => notebookPath(args) !== null,
    execute: async args => {
      const path = notebookPath(args);
      if (!path) {
        return;
      }
      // The job runs the saved file: save an open, modified notebook first.
      const content =
        (await attempt(trans.__('Read notebook'), () => readSavedNotebook(app.serviceManager.contents, notebooks, path))) ?? null;
      const names = (await attempt(trans.__('Load compute targets'), () => targetNames())) ?? [];
      const spec = await formDialog<ISubmitForm, SubmitFormErrors, Partial<NotebookJobSpec> & { kind: 'notebook' }>({
        title: trans.__('Submit notebook as job'),
        okLabel: trans.__('Submit'),
        initial: initialSubmitForm(path, notebookParameters(content), names, studio.settings.defaultTarget),
        validate: value => {
          const checked = validateSubmitForm(value, names);
          return { result: checked.spec, errors: checked.errors };
        },
        render: (value, errors, onChange) => <SubmitForm value={value} errors={errors} onChange={onChange} targets={names} />
      });
      if (!spec) {
        return;
      }
      const job = await attempt(trans.__('Submit job'), () => model.submit(spec));
      if (job) {
        Notification.success(trans.__('Submitted job %1 to "%2".', job.id, job.target), {
          autoClose: 4000,
          actions: [{ label: trans.__('Open'), callback: () => void openJob(job.id) }]
        });
      }
      return job;
    }
  });

  app.docRegistry.addWidgetExtension(
    'Notebook',
    new NotebookButton(app.commands, {
      name: 'mlservice-submit',
      command: JobCommandIDs.submitNotebook,
      after: [],
      className: 'jp-mlservice-submit-button',
      icon: mlserviceIcon,
      label: trans.__('Submit as job'),
      tooltip: trans.__('Run the saved notebook as a job on a compute target')
    })
  );
  app.contextMenu.addItem({
    command: JobCommandIDs.submitNotebook,
    args: { fromBrowser: true },
    selector: '.jp-DirListing-item[data-file-type="notebook"]',
    rank: 60
  });
}

/** Submit a notebook as a job: target, experiment, parameters... (the schedule dialog shows it too). */
export function SubmitForm(props: IFormProps<ISubmitForm, SubmitFormErrors> & { targets: ReadonlyArray<string> }): JSX.Element {
  const { value, errors } = props;
  const bind = binder(props);
  const set = (patch: Partial<ISubmitForm>) => props.onChange({ ...value, ...patch });
  return (
    <form className="jp-mlservice-form" onSubmit={e => e.preventDefault()}>
      <Field label={trans.__('Notebook')} name="notebook" error={errors.notebook}>
        <input name="notebook" className="jp-mlservice-input" value={value.notebook} readOnly />
      </Field>
      <SelectField
        label={trans.__('Compute target')}
        name="target"
        error={errors.target}
        value={value.target}
        options={props.targets.length > 0 ? props.targets.map(t => ({ value: t, label: t })) : [{ value: '', label: trans.__('(no targets)') }]}
        onChange={target => set({ target })}
      />
      <TextField label={trans.__('Experiment')} {...bind('experiment')} />
      <TextField label={trans.__('Display name')} {...bind('displayName')} placeholder={trans.__('(optional)')} />
      <TextField
        label={trans.__('Parameters (JSON)')}
        {...bind('parameters')}
        hint={trans.__('Pre-filled from the cell tagged `parameters`')}
        className="jp-mlservice-code"
        rows={5}
      />
      <div className="jp-mlservice-field-row">
        <TextField label={trans.__('Timeout (s)')} {...bind('timeout')} placeholder={trans.__('none')} />
        <TextField label={trans.__('Retries')} {...bind('maxRetries')} />
      </div>
    </form>
  );
}
