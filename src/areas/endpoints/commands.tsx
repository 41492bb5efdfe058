/**
 * The Endpoints area's commands and the dialogs they show: create and delete
 * endpoints, deploy a model version, edit and delete deployments, their logs,
 * regenerate a key. Each calls a model method; the model calls the API.
 */
import { InputDialog, Notification } from '@jupyterlab/apputils';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import * as React from 'react';

import * as api from '../../api/client';
import type { Endpoint } from '../../api/client';
import { IFormProps, SelectField, TextField, binder } from '../../components/forms';
import { confirm, formDialog, pickName } from '../../dialogs';
import { attempt, notifyError } from '../../notify';
import { trans } from '../../translate';
import { IAreaContext, addCommand, deleteEach, namesToActOn, quoted } from '../context';
import {
  DeployFormErrors,
  DeploymentEditErrors,
  EndpointFormErrors,
  IDeployForm,
  IDeployPlan,
  IDeploymentEditForm,
  IEndpointForm,
  NEW_ENDPOINT,
  chooseEndpoint,
  initialDeployForm,
  initialDeploymentEditForm,
  validateDeployForm,
  validateDeploymentEditForm,
  validateEndpointForm
} from './forms';
import { EndpointDetailModel, EndpointsModel } from './model';

export namespace EndpointCommandIDs {
  export const createEndpoint = 'mlservice:create-endpoint';
  export const deleteEndpoint = 'mlservice:delete-endpoint';
  export const deployModel = 'mlservice:deploy-model';
  export const deleteDeployment = 'mlservice:delete-deployment';
  export const editDeployment = 'mlservice:edit-deployment';
  export const openDeploymentLogs = 'mlservice:open-deployment-logs';
}

export function addEndpointCommands(context: IAreaContext, model: EndpointsModel): void {
  const { studio } = context;

  /** An endpoint and one of its deployments, from the args or picked from lists. */
  const pickDeployment = async (args: ReadonlyPartialJSONObject) => {
    const endpoints = await model.all();
    const endpoint = await pickName(args.endpoint, trans.__('Endpoint'), endpoints.map(e => e.name));
    if (!endpoint) {
      return null;
    }
    const item = endpoints.find(e => e.name === endpoint);
    const name = await pickName(args.name, trans.__('Deployment of %1', endpoint), item?.deployments ?? []);
    return name ? { endpoint, name, item } : null;
  };

  addCommand(context, EndpointCommandIDs.createEndpoint, {
    label: trans.__('Create Endpoint…'),
    caption: trans.__('Create a real-time endpoint'),
    execute: async () => {
      const names = ((await attempt(trans.__('Load endpoints'), () => model.all())) ?? []).map(e => e.name);
      const body = await formDialog<IEndpointForm, EndpointFormErrors, api.EndpointCreate>({
        title: trans.__('Create endpoint'),
        okLabel: trans.__('Create'),
        initial: { name: '', authMode: 'key', description: '' },
        validate: value => {
          const checked = validateEndpointForm(value, names);
          return { result: checked.body, errors: checked.errors };
        },
        render: (value, errors, onChange) => <EndpointForm value={value} errors={errors} onChange={onChange} />
      });
      if (!body) {
        return;
      }
      const created = await attempt(trans.__('Create endpoint'), () => model.create(body));
      if (created) {
        await studio.open(`endpoints/${encodeURIComponent(created.name)}`);
      }
      return created;
    }
  });

  addCommand(context, EndpointCommandIDs.deleteEndpoint, {
    label: trans.__('Delete Endpoint…'),
    execute: async args => {
      const names = await namesToActOn(args, trans.__('Delete endpoint'), async () => (await model.all()).map(e => e.name));
      await deleteEach({
        names,
        title: trans._n('Delete endpoint', 'Delete endpoints', names.length),
        question: trans._n(
          'Delete the endpoint %2 and all its deployments? Callers get errors from then on.',
          'Delete the %1 endpoints %2 and all their deployments? Callers get errors from then on.',
          names.length,
          quoted(names)
        ),
        what: name => trans.__('Delete endpoint "%1"', name),
        remove: name => model.remove(name),
        list: model
      });
    }
  });

  addCommand(context, EndpointCommandIDs.deployModel, {
    label: trans.__('Deploy Model…'),
    caption: trans.__('Deploy a model version to a real-time endpoint'),
    execute: async args => {
      let ref = args.model ? String(args.model) : null;
      if (!ref && args.name) {
        ref = args.version ? `${args.name}:${args.version}` : String(args.name);
      }
      if (!ref) {
        const answer = await InputDialog.getText({
          title: trans.__('Deploy model'),
          label: trans.__('Model reference'),
          placeholder: 'iris:1, iris@champion'
        });
        ref = answer.button.accept ? answer.value?.trim() || null : null;
      }
      if (!ref) {
        return;
      }
      const known = (await attempt(trans.__('Load endpoints'), () => model.all())) ?? [];
      let initial = initialDeployForm(ref, known);
      if (args.endpoint) {
        initial = chooseEndpoint(initial, String(args.endpoint), known);
      }
      const plan = await formDialog<IDeployForm, DeployFormErrors, IDeployPlan>({
        title: trans.__('Deploy %1', ref),
        okLabel: trans.__('Deploy'),
        initial,
        validate: value => {
          const checked = validateDeployForm(value, known);
          return { result: checked.plan, errors: checked.errors };
        },
        render: (value, errors, onChange) => (
          <DeployForm value={value} errors={errors} onChange={onChange} endpoints={known} />
        )
      });
      if (!plan) {
        return;
      }
      const deployment = await attempt(trans.__('Deploy'), () => model.deploy(plan));
      if (deployment) {
        Notification.info(
          trans.__('Deploying %1 as "%2" on "%3" (%4)…', plan.deployment.model, deployment.name, plan.endpoint, deployment.status),
          { autoClose: 4000 }
        );
        await studio.open(`endpoints/${encodeURIComponent(plan.endpoint)}`);
      }
      return deployment;
    }
  });

  addCommand(context, EndpointCommandIDs.deleteDeployment, {
    label: trans.__('Delete Deployment…'),
    execute: async args => {
      const picked = await attempt(trans.__('Delete deployment'), () => pickDeployment(args));
      if (!picked) {
        return;
      }
      const { endpoint, name, item } = picked;
      const share = item?.traffic?.[name] ?? 0;
      const ok = await confirm(
        trans.__('Delete deployment'),
        share > 0
          ? trans.__(
              '"%1" still takes %2% of the traffic of "%3": shift it to another deployment first, or the server refuses.',
              name,
              share,
              endpoint
            )
          : trans.__('Delete the deployment "%1" of "%2"?', name, endpoint),
        trans.__('Delete')
      );
      if (ok) {
        await attempt(trans.__('Delete deployment "%1"', name), () => model.deleteDeployment(endpoint, name));
      }
    }
  });

  addCommand(context, EndpointCommandIDs.editDeployment, {
    label: trans.__('Edit Deployment…'),
    caption: trans.__('Change a deployment: model, replicas, request settings, environment variables'),
    execute: async args => {
      const picked = await attempt(trans.__('Edit deployment'), () => pickDeployment(args));
      if (!picked) {
        return;
      }
      const { endpoint, name } = picked;
      const current = await attempt(trans.__('Read deployment'), () => model.getDeployment(endpoint, name));
      if (!current) {
        return;
      }
      let value = initialDeploymentEditForm(current);
      let refused: DeploymentEditErrors | undefined;
      for (;;) {
        const checked = await formDialog<IDeploymentEditForm, DeploymentEditErrors, { form: IDeploymentEditForm; body: api.DeploymentUpdate }>({
          title: trans.__('Edit deployment %1/%2', endpoint, name),
          okLabel: trans.__('Update'),
          initial: value,
          initialErrors: refused,
          validate: form => {
            const result = validateDeploymentEditForm(form, current);
            return { result: result.body && { form, body: result.body }, errors: result.errors };
          },
          render: (form, errors, onChange) => <DeploymentEditForm value={form} errors={errors} onChange={onChange} />
        });
        if (!checked) {
          return;
        }
        try {
          const updated = await model.updateDeployment(endpoint, name, checked.body);
          Notification.info(trans.__('Updating "%1" of "%2" (%3)…', name, endpoint, updated.status), { autoClose: 4000 });
          return updated;
        } catch (error) {
          const status = (error as api.MLServiceError).status;
          if (!status || status >= 500) {
            notifyError(error, trans.__('Update deployment "%1"', name));
            return;
          }
          // The server refused it (unknown model version...): show why in the form, keep the edits.
          value = checked.form;
          refused = { form: (error as Error).message };
        }
      }
    }
  });

  addCommand(context, EndpointCommandIDs.openDeploymentLogs, {
    label: trans.__('Open Deployment Logs…'),
    execute: async args => {
      const picked = await attempt(trans.__('Open deployment logs'), () => pickDeployment(args));
      if (picked) {
        const path = ['endpoints', picked.endpoint, 'logs', picked.name].map(encodeURIComponent).join('/');
        await studio.open(path, { tab: true });
      }
    }
  });

  // Say when a deployment the user deployed or updated serves (or failed), wherever they are.
  model.notices.connect((_, notice) => {
    const open = {
      label: trans.__('Open'),
      callback: () => void studio.open(`endpoints/${encodeURIComponent(notice.endpoint)}`)
    };
    if (notice.kind === 'failed') {
      Notification.error(notice.message, {
        autoClose: 10000,
        actions: [
          open,
          {
            label: trans.__('Logs'),
            callback: () =>
              void context.app.commands.execute(EndpointCommandIDs.openDeploymentLogs, {
                endpoint: notice.endpoint,
                name: notice.deployment
              })
          }
        ]
      });
    } else {
      Notification.success(notice.message, { autoClose: 5000, actions: [open] });
    }
  });
}

/** Ask before regenerating a key (callers with the old one get 401 from then on). */
export async function regenerateKey(detail: EndpointDetailModel, which: 'primary' | 'secondary'): Promise<void> {
  const ok = await confirm(
    trans.__('Regenerate key'),
    trans.__('Regenerate the %1 key of "%2"? Callers using the old key get 401 from then on.', which, detail.name),
    trans.__('Regenerate')
  );
  if (ok) {
    await attempt(trans.__('Regenerate key'), () => detail.regenerateKey(which));
  }
}

// ---- the dialogs' fields -------------------------------------------------------------------

/** How callers authenticate: a key, or nothing (said to be for local experiments). */
function authModes(explain: boolean): { value: string; label: string }[] {
  return [
    { value: 'key', label: 'key' },
    { value: 'none', label: explain ? trans.__('none (local experiments only)') : 'none' }
  ];
}

/** Deploy a model version to a new or existing endpoint. */
export function DeployForm(props: IFormProps<IDeployForm, DeployFormErrors> & { endpoints: ReadonlyArray<Endpoint> }): JSX.Element {
  const { value, errors } = props;
  const bind = binder(props);
  const set = (patch: Partial<IDeployForm>) => props.onChange({ ...value, ...patch });
  const creating = value.endpoint === NEW_ENDPOINT;
  return (
    <form className="jp-mlservice-form" onSubmit={e => e.preventDefault()}>
      <TextField label={trans.__('Model')} {...bind('model')} hint={trans.__('iris:3, iris@champion or iris (latest)')} />
      <SelectField
        label={trans.__('Endpoint')}
        name="endpoint"
        error={errors.endpoint}
        value={value.endpoint}
        options={[
          ...props.endpoints.map(ep => ({ value: ep.name, label: ep.name })),
          { value: NEW_ENDPOINT, label: trans.__('New endpoint…') }
        ]}
        onChange={name => props.onChange(chooseEndpoint(value, name, props.endpoints))}
      />
      {creating && (
        <div className="jp-mlservice-field-row">
          <TextField label={trans.__('New endpoint name')} {...bind('newEndpoint')} />
          <SelectField
            label={trans.__('Authentication')}
            name="authMode"
            value={value.authMode}
            options={authModes(false)}
            onChange={mode => set({ authMode: mode as IDeployForm['authMode'] })}
          />
        </div>
      )}
      <div className="jp-mlservice-field-row">
        <TextField label={trans.__('Deployment name')} {...bind('deployment')} />
        <TextField label={trans.__('Replicas')} {...bind('replicas')} />
      </div>
      <label className="jp-mlservice-check">
        <input
          type="checkbox"
          name="allTraffic"
          checked={value.allTraffic}
          onChange={e => set({ allTraffic: e.currentTarget.checked })}
        />
        {trans.__('Send all traffic to it once it is healthy')}
      </label>
    </form>
  );
}

/** Create an endpoint (deployments are added to it afterwards). */
export function EndpointForm(props: IFormProps<IEndpointForm, EndpointFormErrors>): JSX.Element {
  const { value } = props;
  const bind = binder(props);
  const set = (patch: Partial<IEndpointForm>) => props.onChange({ ...value, ...patch });
  return (
    <form className="jp-mlservice-form" onSubmit={e => e.preventDefault()}>
      <TextField label={trans.__('Name')} {...bind('name')} hint={trans.__('e.g. iris (part of the scoring URI)')} autoFocus />
      <SelectField
        label={trans.__('Authentication')}
        name="authMode"
        hint={trans.__('key: callers send Authorization: Bearer <key>')}
        value={value.authMode}
        options={authModes(true)}
        onChange={mode => set({ authMode: mode as IEndpointForm['authMode'] })}
      />
      <TextField label={trans.__('Description')} {...bind('description')} />
    </form>
  );
}

/** Change a deployment: model, replicas, request settings, environment (rolled out without downtime). */
export function DeploymentEditForm(props: IFormProps<IDeploymentEditForm, DeploymentEditErrors>): JSX.Element {
  const { errors } = props;
  const bind = binder(props);
  return (
    <form className="jp-mlservice-form jp-mlservice-deployment-edit" onSubmit={e => e.preventDefault()}>
      {errors.form && (
        <div className="jp-mlservice-field-error" role="alert" data-field="form">
          {errors.form}
        </div>
      )}
      <TextField label={trans.__('Model')} {...bind('model')} hint={trans.__('iris:3, iris@champion or iris (latest)')} autoFocus />
      <div className="jp-mlservice-field-row">
        <TextField label={trans.__('Replicas')} {...bind('replicas')} hint={trans.__('Worker processes, 1-32')} />
        <TextField label={trans.__('Max concurrent requests')} {...bind('maxConcurrentRequests')} hint={trans.__('Per worker; more wait')} />
      </div>
      <div className="jp-mlservice-field-row">
        <TextField label={trans.__('Request timeout (ms)')} {...bind('requestTimeoutMs')} hint={trans.__('Unanswered after this: 504')} />
        <TextField label={trans.__('Max queue wait (ms)')} {...bind('maxQueueWaitMs')} hint={trans.__('Waited longer for a slot: 429')} />
      </div>
      <TextField
        label={trans.__('Environment variables')}
        {...bind('environment')}
        hint={trans.__("One NAME=value a line; replaces the deployment's variables")}
        className="jp-mlservice-code"
        rows={4}
        placeholder="OMP_NUM_THREADS=1"
      />
    </form>
  );
}
