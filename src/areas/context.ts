import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Clipboard, ICommandPalette, Notification } from '@jupyterlab/apputils';
import type { CommandRegistry } from '@lumino/commands';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { PolledModel } from '../models/base';
import { notifyModelErrors } from '../notify';
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
