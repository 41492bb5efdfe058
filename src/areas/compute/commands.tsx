/** The Compute area's commands: create and delete compute targets. */
import { Notification } from '@jupyterlab/apputils';
import * as React from 'react';

import type { TargetCreate } from '../../api/client';
import { IFormProps, SelectField, TextField, binder } from '../../components/forms';
import { formDialog } from '../../dialogs';
import { attempt } from '../../notify';
import { trans } from '../../translate';
import { IAreaContext, addCommand, deleteEach, namesToActOn, quoted } from '../context';
import { ITargetForm, TargetFormErrors, validateTargetForm } from './forms';
import { TargetsModel, targetNames } from './model';

export namespace ComputeCommandIDs {
  export const createTarget = 'mlservice:create-target';
  export const deleteTarget = 'mlservice:delete-target';
}

export function addComputeCommands(context: IAreaContext, model: TargetsModel): void {
  const { studio } = context;

  addCommand(context, ComputeCommandIDs.createTarget, {
    label: trans.__('Create Compute Target…'),
    caption: trans.__('Create a compute target'),
    execute: async () => {
      await attempt(trans.__('Load compute targets'), () => model.refresh());
      const names = model.names;
      const types = model.backends;
      const body = await formDialog<ITargetForm, TargetFormErrors, TargetCreate>({
        title: trans.__('Create compute target'),
        okLabel: trans.__('Create'),
        initial: { name: '', type: types[0] ?? 'local', description: '', settings: '' },
        validate: value => {
          const checked = validateTargetForm(value, names);
          return { result: checked.body, errors: checked.errors };
        },
        render: (value, errors, onChange) => <TargetForm value={value} errors={errors} onChange={onChange} types={types} />
      });
      if (!body) {
        return;
      }
      const created = await attempt(trans.__('Create compute target'), () => model.create(body));
      if (created) {
        Notification.success(trans.__('Created compute target "%1".', created.name), { autoClose: 3000 });
        await studio.open(`compute/${encodeURIComponent(created.name)}`);
      }
      return created;
    }
  });

  addCommand(context, ComputeCommandIDs.deleteTarget, {
    label: trans.__('Delete Compute Target…'),
    execute: async args => {
      const names = await namesToActOn(args, trans.__('Delete compute target'), targetNames);
      await deleteEach({
        names,
        title: trans._n('Delete compute target', 'Delete compute targets', names.length),
        question: trans._n(
          'Delete the compute target %2? Jobs that ran on it keep their records.',
          'Delete the %1 compute targets %2? Jobs that ran on them keep their records.',
          names.length,
          quoted(names)
        ),
        what: name => trans.__('Delete compute target "%1"', name),
        remove: name => model.remove(name),
        list: model
      });
    }
  });
}

/** New compute target: name, type, description, settings (JSON). */
export function TargetForm(props: IFormProps<ITargetForm, TargetFormErrors> & { types: ReadonlyArray<string> }): JSX.Element {
  const { value, errors } = props;
  const bind = binder(props);
  const set = (patch: Partial<ITargetForm>) => props.onChange({ ...value, ...patch });
  const types = props.types.length > 0 ? props.types : ['local', 'ray'];
  return (
    <form className="jp-mlservice-form" onSubmit={e => e.preventDefault()}>
      <TextField label={trans.__('Name')} {...bind('name')} hint={trans.__('e.g. cpu-small')} autoFocus />
      <SelectField
        label={trans.__('Type')}
        name="type"
        error={errors.type}
        value={value.type}
        options={types.map(t => ({ value: t, label: t }))}
        onChange={type => set({ type })}
      />
      <TextField label={trans.__('Description')} {...bind('description')} />
      <TextField
        label={trans.__('Settings (JSON)')}
        {...bind('settings')}
        hint={trans.__('e.g. {"max_concurrency": 2}; checked by the server for the type')}
        className="jp-mlservice-code"
        rows={4}
      />
    </form>
  );
}
