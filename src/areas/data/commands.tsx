/**
 * The Data area's commands: register a file or folder as a data asset (file browser's context
 * menu, palette), set an alias, archive or restore, compute a profile again. Each calls a model
 * method; the model calls the API.
 */
import { InputDialog, Notification } from '@jupyterlab/apputils';
import type { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import * as React from 'react';

import type { DataCreate } from '../../api/client';
import { Field, IFormProps, SelectField, TextField, binder } from '../../components/forms';
import { formDialog } from '../../dialogs';
import { attempt } from '../../notify';
import { trans } from '../../translate';
import { IAreaContext, addCommand, namesToActOn, quoted } from '../context';
import {
  IRegisterDataForm,
  RegisterDataFormErrors,
  dataAliasError,
  dataPath,
  dataRef,
  initialRegisterDataForm,
  registerHint,
  validateRegisterDataForm
} from './forms';
import { DataModel, dataAssetNames } from './model';

export namespace DataCommandIDs {
  export const registerData = 'mlservice:register-data';
  export const setDataAlias = 'mlservice:set-data-alias';
  export const archiveData = 'mlservice:archive-data';
  export const profileData = 'mlservice:profile-data';
}

/** The file or folder a command acts on: its args' `path`, else the file browser's selection. */
function selectedPath(args: ReadonlyPartialJSONObject, browsers: IFileBrowserFactory | null): string {
  if (args.path !== undefined) {
    return String(args.path);
  }
  const browser = browsers?.tracker.currentWidget;
  if (browser) {
    for (const item of browser.selectedItems()) {
      return item.path;
    }
  }
  return '';
}

export function addDataCommands(context: IAreaContext, model: DataModel, browsers: IFileBrowserFactory | null): void {
  const { app, studio } = context;

  addCommand(context, DataCommandIDs.registerData, {
    label: args => (args.fromBrowser ? trans.__('Register as Data Asset…') : trans.__('Register Data Asset…')),
    caption: trans.__('Register a file or folder as a versioned data asset that jobs take as data:name@version'),
    execute: async args => {
      const path = selectedPath(args, browsers);
      const existing = (await attempt(trans.__('Load data assets'), () => dataAssetNames())) ?? [];
      const body = await formDialog<IRegisterDataForm, RegisterDataFormErrors, Partial<DataCreate> & { name: string }>({
        title: trans.__('Register as data asset'),
        okLabel: trans.__('Register'),
        initial: initialRegisterDataForm(path),
        validate: value => {
          const checked = validateRegisterDataForm(value);
          return { result: checked.body, errors: checked.errors };
        },
        render: (value, errors, onChange) => (
          <RegisterDataForm value={value} errors={errors} onChange={onChange} existing={existing} pathEditable={!path} />
        )
      });
      if (!body) {
        return;
      }
      const version = await attempt(trans.__('Register data asset "%1"', body.name), () => model.register(body));
      if (version) {
        Notification.success(
          version.deduplicated
            ? trans.__('Identical content is already %1.', dataRef(version))
            : trans.__('Registered %1; its profile is being computed.', dataRef(version)),
          { autoClose: 4000 }
        );
        await studio.open(dataPath(version.name, version.version));
      }
      return version;
    }
  });
  app.contextMenu.addItem({
    command: DataCommandIDs.registerData,
    args: { fromBrowser: true },
    selector: '.jp-DirListing-item[data-isdir]',
    rank: 61
  });

  addCommand(context, DataCommandIDs.setDataAlias, {
    label: trans.__('Set Data Alias…'),
    execute: async args => {
      const name = args.name ? String(args.name) : null;
      const version = Number(args.version);
      if (!name || !Number.isInteger(version)) {
        return;
      }
      const answer = await InputDialog.getText({
        title: trans.__('Alias for %1', dataRef({ name, version })),
        label: trans.__('Alias'),
        placeholder: 'prod'
      });
      const alias = answer.value?.trim() ?? '';
      if (!answer.button.accept || !alias) {
        return;
      }
      const problem = dataAliasError(alias);
      if (problem) {
        Notification.warning(problem, { autoClose: 6000 });
        return;
      }
      return attempt(trans.__('Set alias %1', alias), () => model.setAlias(name, alias, version));
    }
  });

  addCommand(context, DataCommandIDs.archiveData, {
    label: args => (args.restore ? trans.__('Restore Data Asset') : trans.__('Archive Data Asset…')),
    caption: trans.__('Archived assets are hidden from lists; their versions, content and lineage stay.'),
    execute: async args => {
      const restore = !!args.restore;
      const names = await namesToActOn(args, trans.__('Archive data asset'), async () => model.items.map(a => a.name));
      if (names.length === 0) {
        return;
      }
      for (const name of names) {
        await attempt(restore ? trans.__('Restore "%1"', name) : trans.__('Archive "%1"', name), () => model.setArchived(name, !restore));
      }
      model.clearSelection();
      if (!restore) {
        Notification.info(trans._n('Archived %2.', 'Archived %1 data assets: %2.', names.length, quoted(names)), { autoClose: 3000 });
      }
    }
  });

  addCommand(context, DataCommandIDs.profileData, {
    label: trans.__('Profile Data Version'),
    caption: trans.__('Compute the profile of a data version again, in a job'),
    execute: async args => {
      const name = args.name ? String(args.name) : null;
      const version = Number(args.version);
      if (!name || !Number.isInteger(version)) {
        return;
      }
      return attempt(trans.__('Profile %1', dataRef({ name, version })), () =>
        model.computeProfile(name, version, studio.settings.defaultTarget || 'local')
      );
    }
  });
}

/** Register a file or folder: its name as an asset, a description, copy or reference. */
export function RegisterDataForm(
  props: IFormProps<IRegisterDataForm, RegisterDataFormErrors> & { existing: ReadonlyArray<string>; pathEditable?: boolean }
): JSX.Element {
  const { value, errors } = props;
  const bind = binder(props);
  const set = (patch: Partial<IRegisterDataForm>) => props.onChange({ ...value, ...patch });
  return (
    <form className="jp-mlservice-form jp-mlservice-register-data" onSubmit={e => e.preventDefault()}>
      {props.pathEditable ? (
        <TextField label={trans.__('File or folder')} {...bind('path')} hint={trans.__('Relative to the server root; a glob like data/*.csv works too')} />
      ) : (
        <Field label={trans.__('File or folder')} name="path" error={errors.path}>
          <input name="path" className="jp-mlservice-input" value={value.path} readOnly />
        </Field>
      )}
      <TextField label={trans.__('Name')} {...bind('name')} hint={registerHint(value.name, props.existing)} autoFocus />
      <TextField label={trans.__('Description')} {...bind('description')} placeholder={trans.__('(optional)')} />
      <SelectField
        label={trans.__('Mode')}
        name="mode"
        error={errors.mode}
        value={value.mode}
        options={[
          { value: 'copy', label: trans.__('copy: snapshot the content into the data store') },
          { value: 'reference', label: trans.__('reference: keep it in place, with its digest') }
        ]}
        onChange={mode => set({ mode: mode as IRegisterDataForm['mode'] })}
      />
    </form>
  );
}
