/** The Environments area's commands: create an environment version, build one. */
import { Notification } from '@jupyterlab/apputils';
import * as React from 'react';

import type { EnvironmentCreate } from '../../api/client';
import { Field, IFormProps, TextField, binder } from '../../components/forms';
import { formDialog } from '../../dialogs';
import { attempt } from '../../notify';
import { trans } from '../../translate';
import { IAreaContext, addCommand } from '../context';
import { EnvironmentFormErrors, IEnvironmentForm, environmentPath, initialEnvironmentForm, validateEnvironmentForm } from './forms';
import { EnvironmentsModel } from './model';

export namespace EnvironmentCommandIDs {
  export const createEnvironment = 'mlservice:create-environment';
  export const buildEnvironment = 'mlservice:build-environment';
}

export function addEnvironmentCommands(context: IAreaContext, model: EnvironmentsModel): void {
  const { studio } = context;

  addCommand(context, EnvironmentCommandIDs.createEnvironment, {
    label: trans.__('Create Environment…'),
    caption: trans.__('Create an environment version from pip requirements; its lock is resolved now'),
    execute: async () => {
      const body = await formDialog<IEnvironmentForm, EnvironmentFormErrors, Partial<EnvironmentCreate> & { name: string }>({
        title: trans.__('Create environment'),
        okLabel: trans.__('Create'),
        initial: initialEnvironmentForm(),
        validate: value => {
          const checked = validateEnvironmentForm(value);
          return { result: checked.body, errors: checked.errors };
        },
        render: (value, errors, onChange) => <EnvironmentForm value={value} errors={errors} onChange={onChange} />
      });
      if (!body) {
        return;
      }
      const env = await attempt(trans.__('Create environment "%1"', body.name), () => model.create(body));
      if (env) {
        Notification.success(trans.__('Environment %1 created.', env.reference), { autoClose: 3000 });
        await studio.open(environmentPath(env.name, env.version));
      }
      return env;
    }
  });

  addCommand(context, EnvironmentCommandIDs.buildEnvironment, {
    label: trans.__('Build Environment'),
    execute: async args => {
      const name = args.name ? String(args.name) : '';
      const version = Number(args.version);
      if (!name || !Number.isInteger(version)) {
        return;
      }
      const env = await attempt(trans.__('Build environment %1@%2', name, version), () => model.build(name, version));
      if (env) {
        Notification.success(trans.__('Environment %1 is built.', env.reference), { autoClose: 3000 });
      }
      return env;
    }
  });
}

/** New environment version: name, description, requirements (one per line), build now. */
export function EnvironmentForm(props: IFormProps<IEnvironmentForm, EnvironmentFormErrors>): JSX.Element {
  const { value, errors } = props;
  const bind = binder(props);
  return (
    <form className="jp-mlservice-form" onSubmit={e => e.preventDefault()}>
      <TextField label={trans.__('Name')} {...bind('name')} hint={trans.__('e.g. sklearn; the same name again adds a version')} autoFocus />
      <TextField label={trans.__('Description')} {...bind('description')} placeholder={trans.__('(optional)')} />
      <TextField
        label={trans.__('Requirements')}
        {...bind('requirements')}
        hint={trans.__('pip requirements, one per line, e.g. scikit-learn==1.5.2')}
        className="jp-mlservice-code"
        rows={5}
      />
      <Field label={trans.__('Build now')} name="build" error={errors.build}>
        <input type="checkbox" name="build" checked={value.build} onChange={e => props.onChange({ ...value, build: e.currentTarget.checked })} />
      </Field>
    </form>
  );
}
