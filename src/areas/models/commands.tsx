/** The Models area's commands: register a version (from a job, a run or a path), set an alias. */
import { InputDialog, Notification } from '@jupyterlab/apputils';
import * as React from 'react';

import type { ModelRegister } from '../../api/client';
import { IFormProps, SelectField, TextField, binder } from '../../components/forms';
import { confirm, formDialog, pickName } from '../../dialogs';
import { attempt } from '../../notify';
import { trans } from '../../translate';
import { IAreaContext, addCommand, deleteEach, namesToActOn, quoted } from '../context';
import { IRegisterForm, RegisterFormErrors, aliasError, initialRegisterForm, validateRegisterForm, versionRef } from './forms';
import { RegistryModel } from './model';

export namespace ModelCommandIDs {
  export const registerModel = 'mlservice:register-model';
  export const setModelAlias = 'mlservice:set-model-alias';
  export const deleteModel = 'mlservice:delete-model';
  export const deleteModelVersion = 'mlservice:delete-model-version';
  /** The Endpoints area's command that deploys a version. */
  export const deployModel = 'mlservice:deploy-model';
}

/** A completed job offered as a model source. */
export interface IJobChoice {
  id: string;
  label: string;
}

export function addModelCommands(context: IAreaContext, model: RegistryModel): void {
  const { app, studio } = context;
  addDeleteCommands(context, model);

  addCommand(context, ModelCommandIDs.registerModel, {
    label: trans.__('Register Model…'),
    caption: trans.__('Register a model version from a job, a run or a path on the server'),
    execute: async args => {
      const completed = (await attempt(trans.__('List completed jobs'), () => model.completedJobs())) ?? [];
      const jobs: IJobChoice[] = completed.map(job => ({
        id: job.id,
        label: `${job.display_name || job.id.slice(0, 8)} · ${job.experiment} · ${job.id.slice(0, 8)}`
      }));
      const initial = initialRegisterForm(jobs.map(j => j.id));
      if (args.jobId) {
        initial.job = String(args.jobId);
        if (!jobs.some(j => j.id === initial.job)) {
          jobs.unshift({ id: initial.job, label: initial.job });
        }
      }
      if (args.name) {
        initial.name = String(args.name);
      }
      const body = await formDialog<IRegisterForm, RegisterFormErrors, ModelRegister>({
        title: trans.__('Register model'),
        okLabel: trans.__('Register'),
        initial,
        validate: value => {
          const checked = validateRegisterForm(value);
          return { result: checked.body as ModelRegister | undefined, errors: checked.errors };
        },
        render: (value, errors, onChange) => <RegisterForm value={value} errors={errors} onChange={onChange} jobs={jobs} />
      });
      if (!body) {
        return;
      }
      const created = await attempt(trans.__('Register model'), () => model.register(body));
      if (created) {
        Notification.success(trans.__('Registered %1.', versionRef(created)), {
          autoClose: 4000,
          actions: [
            {
              label: trans.__('Deploy'),
              callback: () => void app.commands.execute(ModelCommandIDs.deployModel, { name: created.name, version: created.version })
            }
          ]
        });
        await studio.open(`models/${encodeURIComponent(created.name)}`);
      }
      return created;
    }
  });

  addCommand(context, ModelCommandIDs.setModelAlias, {
    label: trans.__('Set Model Alias…'),
    execute: async args => {
      const names = args.name ? [] : ((await attempt(trans.__('Load models'), () => model.all())) ?? []).map(m => m.name);
      const name = await pickName(args.name, trans.__('Model'), names);
      if (!name) {
        return;
      }
      let version = args.version ? String(args.version) : null;
      if (!version) {
        const detail = await attempt(trans.__('Read model'), () => model.get(name));
        version = await pickName(null, trans.__('Version of %1', name), (detail?.versions ?? []).map(v => v.version));
      }
      if (!version) {
        return;
      }
      const answer = await InputDialog.getText({
        title: trans.__('Alias for %1:%2', name, version),
        label: trans.__('Alias'),
        placeholder: 'champion',
        text: args.alias ? String(args.alias) : ''
      });
      const alias = answer.value?.trim();
      if (!answer.button.accept || !alias) {
        return;
      }
      const problem = aliasError(alias);
      if (problem) {
        Notification.warning(problem, { autoClose: 6000 });
        return;
      }
      return attempt(trans.__('Set alias %1', alias), () => model.setAlias(name, alias, version!));
    }
  });
}

/** Delete models (the list's selection, or one picked) and single versions, after a confirmation. */
function addDeleteCommands(context: IAreaContext, model: RegistryModel): void {
  const { studio } = context;
  addCommand(context, ModelCommandIDs.deleteModel, {
    label: trans.__('Delete Model…'),
    caption: trans.__('Delete registered models with all their versions'),
    execute: async args => {
      const names = await namesToActOn(args, trans.__('Delete model'), async () => (await model.all()).map(m => m.name));
      await deleteEach({
        names,
        title: trans._n('Delete model', 'Delete models', names.length),
        question: trans._n(
          'Delete the model %2 and all its versions? Running deployments keep serving their copy; the runs they came from stay.',
          'Delete the %1 models %2 and all their versions? Running deployments keep serving their copy; the runs they came from stay.',
          names.length,
          quoted(names)
        ),
        what: name => trans.__('Delete model "%1"', name),
        remove: name => model.remove(name),
        list: model
      });
      if (args.fromView && names.length > 0 && !model.find(names[0])) {
        await studio.open('models');
      }
    }
  });

  addCommand(context, ModelCommandIDs.deleteModelVersion, {
    label: trans.__('Delete Model Version…'),
    execute: async args => {
      const name = String(args.name ?? '');
      const version = String(args.version ?? '');
      if (!name || !version) {
        return;
      }
      const ref = `${name}:${version}`;
      const question = trans.__('Delete version %1? Running deployments keep serving their copy; the run it came from stays.', ref);
      if (!(await confirm(trans.__('Delete model version'), question, trans.__('Delete')))) {
        return;
      }
      const done = await attempt(trans.__('Delete model version %1', ref), async () => {
        await model.removeVersion(name, version);
        return true;
      });
      if (done && args.fromView) {
        await studio.open(`models/${encodeURIComponent(name)}`);
      }
    }
  });
}

/** Register a model version from a job, a run or a path on the server. */
export function RegisterForm(props: IFormProps<IRegisterForm, RegisterFormErrors> & { jobs: ReadonlyArray<IJobChoice> }): JSX.Element {
  const { value, errors } = props;
  const bind = binder(props);
  const set = (patch: Partial<IRegisterForm>) => props.onChange({ ...value, ...patch });
  return (
    <form className="jp-mlservice-form" onSubmit={e => e.preventDefault()}>
      <TextField label={trans.__('Model name')} {...bind('name')} hint={trans.__('A new version is added if the model exists')} autoFocus />
      <SelectField
        label={trans.__('From')}
        name="source"
        value={value.source}
        options={[
          { value: 'job', label: trans.__('a completed job') },
          { value: 'run', label: trans.__('an MLflow run') },
          { value: 'path', label: trans.__('a file or folder on the server') }
        ]}
        onChange={source => set({ source: source as IRegisterForm['source'] })}
      />
      {value.source === 'job' && (
        <SelectField
          label={trans.__('Job')}
          name="job"
          error={errors.job}
          value={value.job}
          options={props.jobs.length > 0 ? props.jobs.map(j => ({ value: j.id, label: j.label })) : [{ value: '', label: trans.__('(no completed jobs)') }]}
          onChange={job => set({ job })}
        />
      )}
      {value.source === 'run' && <TextField label={trans.__('Run id')} {...bind('run')} />}
      {value.source === 'path' ? (
        <TextField label={trans.__('Path on the server')} {...bind('localPath')} hint={trans.__('An MLflow model folder or a file')} />
      ) : (
        <TextField
          label={trans.__('Artifact path')}
          {...bind('artifactPath')}
          hint={trans.__('Where the run logged it, e.g. mlflow.sklearn.log_model(m, name="model")')}
        />
      )}
      <TextField label={trans.__('Description')} {...bind('description')} />
    </form>
  );
}
