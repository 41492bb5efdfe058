/**
 * The Pipelines area's commands: open a run, cancel runs, rerun a run (from a step), and open a
 * *.pipeline.yaml file as its graph (file browser context menu, palette). Each calls a model
 * method; the models call the API.
 */
import { InputDialog, MainAreaWidget, Notification } from '@jupyterlab/apputils';
import type { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { ReactWidget } from '@jupyterlab/ui-components';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import * as React from 'react';

import type { PipelineRun } from '../../api/client';
import { mlserviceIcon } from '../../icons';
import { attempt } from '../../notify';
import { trans } from '../../translate';
import { IAreaContext, addCommand } from '../context';
import { isPipelineFile, rerunChoices, validateFromStep } from './forms';
import { PipelineFileModel, PipelinesModel, isCancelable, runName } from './model';
import { PipelineFileView } from './view';

export namespace PipelineCommandIDs {
  export const openPipeline = 'mlservice:open-pipeline';
  export const cancelPipeline = 'mlservice:cancel-pipeline';
  export const rerunPipeline = 'mlservice:rerun-pipeline';
  export const openPipelineGraph = 'mlservice:open-pipeline-graph';
}

/** Run ids from the args: one (`id`) or several (`ids`). */
function idsOf(args: ReadonlyPartialJSONObject): string[] {
  if (Array.isArray(args.ids)) {
    return args.ids.map(String);
  }
  return args.id ? [String(args.id)] : [];
}

/** The file a command acts on: its args' `path`, else the file browser's selection, else the current document's. */
function selectedPath(context: IAreaContext, args: ReadonlyPartialJSONObject, browsers: IFileBrowserFactory | null): string {
  if (args.path !== undefined) {
    return String(args.path);
  }
  const browser = browsers?.tracker.currentWidget;
  if (args.fromBrowser && browser) {
    for (const item of browser.selectedItems()) {
      return item.path;
    }
  }
  const current = context.app.shell.currentWidget as { context?: { path?: string } } | null;
  if (current?.context?.path && isPipelineFile(current.context.path)) {
    return current.context.path;
  }
  if (browser) {
    for (const item of browser.selectedItems()) {
      if (isPipelineFile(item.path)) {
        return item.path;
      }
    }
  }
  return '';
}

export function addPipelineCommands(context: IAreaContext, model: PipelinesModel, browsers: IFileBrowserFactory | null): void {
  const { app, studio } = context;
  const openRun = (id: string) => studio.open(`pipelines/${encodeURIComponent(id)}`);

  /** Run ids from the args, or one picked from the latest runs that `filter` keeps. */
  const pickRuns = async (args: ReadonlyPartialJSONObject, title: string, filter: (run: PipelineRun) => boolean) => {
    const given = idsOf(args);
    if (given.length > 0) {
      return given;
    }
    const runs = (await model.latest(50)).filter(filter);
    if (runs.length === 0) {
      Notification.info(trans.__('No matching pipeline runs.'));
      return [];
    }
    const names = runs.map(r => `${runName(r)} [${r.status}] ${r.id}`);
    const answer = await InputDialog.getItem({ title, items: names });
    if (!answer.button.accept || answer.value === null) {
      return [];
    }
    return [runs[names.indexOf(answer.value)].id];
  };

  addCommand(context, PipelineCommandIDs.openPipeline, {
    label: trans.__('Open Pipeline Run…'),
    execute: async args => {
      const [id] = (await attempt(trans.__('Open pipeline run'), () => pickRuns(args, trans.__('Open pipeline run'), () => true))) ?? [];
      if (id) {
        await openRun(id);
      }
    }
  });

  addCommand(context, PipelineCommandIDs.cancelPipeline, {
    label: trans.__('Cancel Pipeline Run…'),
    caption: trans.__('Cancel the running steps and skip the rest'),
    execute: async args => {
      const ids = (await attempt(trans.__('Cancel pipeline run'), () => pickRuns(args, trans.__('Cancel pipeline run'), isCancelable))) ?? [];
      for (const id of ids) {
        await attempt(trans.__('Cancel pipeline run %1', id), () => model.cancel(id));
      }
      model.clearSelection();
    }
  });

  addCommand(context, PipelineCommandIDs.rerunPipeline, {
    label: args => (args.step ? trans.__('Rerun Pipeline from "%1"', String(args.step)) : trans.__('Rerun Pipeline…')),
    caption: trans.__('A new run: a step and everything downstream run again, what is upstream is reused'),
    execute: async args => {
      const [id] = (await attempt(trans.__('Rerun pipeline'), () => pickRuns(args, trans.__('Rerun pipeline'), () => true))) ?? [];
      if (!id) {
        return;
      }
      let fromStep: string | null = null;
      if (args.step !== undefined && args.step !== null) {
        fromStep = String(args.step);
      } else if (!args.all) {
        const run = await attempt(trans.__('Rerun pipeline'), () => model.getRun(id));
        if (!run) {
          return;
        }
        const steps = run.steps.map(s => s.name);
        const choices = rerunChoices(steps);
        const answer = await InputDialog.getItem({
          title: trans.__('Rerun %1 from step', runName(run)),
          items: choices.map(c => c.label)
        });
        if (!answer.button.accept || answer.value === null) {
          return;
        }
        const checked = validateFromStep(choices.find(c => c.label === answer.value)?.value, steps);
        if (checked.error) {
          Notification.error(checked.error);
          return;
        }
        fromStep = checked.fromStep;
      }
      const rerun = await attempt(trans.__('Rerun pipeline %1', id), () => model.rerun(id, fromStep));
      if (rerun) {
        await openRun(rerun.id);
      }
      return rerun;
    }
  });

  // The graph of a *.pipeline.yaml file, read-only: one tab per file, redrawn when it is saved.
  const open = new Map<string, MainAreaWidget>();
  const contents = app.serviceManager.contents;
  addCommand(context, PipelineCommandIDs.openPipelineGraph, {
    label: trans.__('Open as Pipeline Graph'),
    caption: trans.__('Draw the steps of a *.pipeline.yaml file and how they are wired (checked by the server)'),
    isVisible: args => !args.fromBrowser || isPipelineFile(selectedPath(context, args, browsers)),
    execute: async args => {
      let path = selectedPath(context, args, browsers);
      if (!path) {
        const answer = await InputDialog.getText({ title: trans.__('Open as pipeline graph'), placeholder: 'pipelines/retrain.pipeline.yaml' });
        if (!answer.button.accept || !answer.value) {
          return;
        }
        path = answer.value.trim();
      }
      const existing = open.get(path);
      if (existing && !existing.isDisposed) {
        app.shell.activateById(existing.id);
        return existing;
      }
      const fileModel = new PipelineFileModel({
        path,
        auto: false,
        read: async () => String((await contents.get(path, { type: 'file', format: 'text', content: true })).content ?? '')
      });
      const refresh = () => void fileModel.refresh().catch(() => undefined);
      const onFileChanged = (_: unknown, change: { newValue?: { path?: string } | null }) => {
        if (change.newValue?.path === path) {
          refresh();
        }
      };
      contents.fileChanged.connect(onFileChanged);
      const content = ReactWidget.create(<PipelineFileView model={fileModel} onRefresh={refresh} />);
      const widget = new MainAreaWidget({ content });
      widget.id = `jp-mlservice-pipeline-graph-${encodeURIComponent(path).replace(/%/g, '_')}`;
      widget.addClass('jp-mlservice-pipeline-file-widget');
      widget.title.label = trans.__('%1 (graph)', path.split('/').pop() ?? path);
      widget.title.caption = trans.__('Pipeline graph of %1', path);
      widget.title.icon = mlserviceIcon;
      widget.title.closable = true;
      widget.disposed.connect(() => {
        contents.fileChanged.disconnect(onFileChanged);
        fileModel.dispose();
        open.delete(path);
      });
      open.set(path, widget);
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
      return widget;
    }
  });
  app.contextMenu.addItem({
    command: PipelineCommandIDs.openPipelineGraph,
    args: { fromBrowser: true },
    selector: '.jp-DirListing-item[data-isdir="false"]',
    rank: 62
  });
}
