import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Clipboard, ICommandPalette, Notification } from '@jupyterlab/apputils';
import type { CommandRegistry } from '@lumino/commands';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { PolledModel } from '../models/base';
import { confirm, pickName } from '../dialogs';
import { attempt, notifyModelErrors } from '../notify';
import { IMLServiceStudio, PALETTE_CATEGORY } from '../tokens';
import { trans } from '../translate';

/** What an area gets when it is activated: the application, the studio and the palette. */
export interface IAreaContext {
  app: JupyterFrontEnd;
  studio: IMLServiceStudio;
  palette: ICommandPalette | null;
}

/** Add a command, and list it in the palette under "ML Service" unless `palette` is false. */
export function addCommand(
  context: IAreaContext,
  id: string,
  options: CommandRegistry.ICommandOptions,
  palette = true
): void {
  context.app.commands.addCommand(id, options);
  if (palette && context.palette) {
    context.palette.addItem({ command: id, category: PALETTE_CATEGORY });
  }
}

/** Keep a model alive with the application, telling the user once per distinct error it meets. */
export function watchModel<T extends PolledModel>(model: T, what: string): T {
  notifyModelErrors(model, what);
  return model;
}

/** Copy text to the clipboard and say so. */
export function copyText(text: string, what: string): void {
  Clipboard.copyToSystem(text);
  Notification.info(trans.__('%1 copied to the clipboard.', what), { autoClose: 2000 });
}

/** Names from a command's args: one (`name`) or several (`names`, from a list's selection). */
export function namesOf(args: ReadonlyPartialJSONObject): string[] {
  if (Array.isArray(args.names)) {
    return args.names.map(String);
  }
  return args.name ? [String(args.name)] : [];
}

/**
 * The names a command acts on: from its args (one, or a list's selection), else
 * one picked from `choices` (empty when the user cancels).
 */
export async function namesToActOn(
  args: ReadonlyPartialJSONObject,
  title: string,
  choices: () => Promise<ReadonlyArray<string>>
): Promise<string[]> {
  const given = namesOf(args);
  if (given.length > 0) {
    return given;
  }
  const name = await pickName(null, title, (await attempt(title, async () => choices())) ?? []);
  return name ? [name] : [];
}

/**
 * Delete each named item after one confirmation (a failure is told and the
 * rest go on), then clear the list's selection.
 */
export async function deleteEach(options: {
  names: ReadonlyArray<string>;
  /** The confirmation's title and question, for these names. */
  title: string;
  question: string;
  /** What is being done to one (said when it fails). */
  what: (name: string) => string;
  remove: (name: string) => Promise<void>;
  list: { clearSelection(): void };
}): Promise<void> {
  if (options.names.length === 0 || !(await confirm(options.title, options.question, trans.__('Delete')))) {
    return;
  }
  for (const name of options.names) {
    await attempt(options.what(name), () => options.remove(name));
  }
  options.list.clearSelection();
}

/** "a", "b" and "c" as a list in a sentence. */
export function quoted(names: ReadonlyArray<string>): string {
  return names.map(n => `"${n}"`).join(', ');
}
