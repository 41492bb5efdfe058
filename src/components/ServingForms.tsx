import * as React from 'react';

import type { Endpoint } from '../api/client';
import {
  DeployFormErrors,
  DeploymentEditErrors,
  EndpointFormErrors,
  IDeployForm,
  IDeploymentEditForm,
  IEndpointForm,
  NEW_ENDPOINT
} from '../models/endpoints';
import type { IRegisterForm, RegisterFormErrors } from '../models/registry';
import { Field, IFormProps, TextField, binder } from './forms';

/** A completed job offered as a model source. */
export interface IJobChoice {
  id: string;
  label: string;
}

/** Register a model version from a job, a run or a path on the server. */
export function RegisterForm(
  props: IFormProps<IRegisterForm, RegisterFormErrors> & { jobs: ReadonlyArray<IJobChoice> }
): JSX.Element {
  const { value, errors } = props;
  const bind = binder(props);
  const set = (patch: Partial<IRegisterForm>) => props.onChange({ ...value, ...patch });
  return (
    <form className="jp-mlservice-form" onSubmit={e => e.preventDefault()}>
      <TextField label="Model name" {...bind('name')} hint="A new version is added if the model exists" autoFocus />
      <Field label="From" name="source">
        <select
          name="source"
          className="jp-mlservice-input"
          value={value.source}
          onChange={e => set({ source: e.currentTarget.value as IRegisterForm['source'] })}
        >
          <option value="job">a completed job</option>
          <option value="run">an MLflow run</option>
          <option value="path">a file or folder on the server</option>
        </select>
      </Field>
      {value.source === 'job' && (
        <Field label="Job" name="job" error={errors.job}>
          <select
            name="job"
            className="jp-mlservice-input"
            value={value.job}
            onChange={e => set({ job: e.currentTarget.value })}
          >
            {props.jobs.length === 0 && <option value="">(no completed jobs)</option>}
            {props.jobs.map(j => (
              <option key={j.id} value={j.id}>
                {j.label}
              </option>
            ))}
          </select>
        </Field>
      )}
      {value.source === 'run' && (
        <TextField label="Run id" {...bind('run')} />
      )}
      {value.source === 'path' ? (
        <TextField label="Path on the server" {...bind('localPath')} hint="An MLflow model folder or a file" />
      ) : (
        <TextField
          label="Artifact path"
          {...bind('artifactPath')}
          hint={'Where the run logged it, e.g. mlflow.sklearn.log_model(m, name="model")'}
        />
      )}
      <TextField label="Description" {...bind('description')} />
    </form>
  );
}

/** Deploy a model version to a new or existing endpoint. */
export function DeployForm(
  props: IFormProps<IDeployForm, DeployFormErrors> & { endpoints: ReadonlyArray<Endpoint> }
): JSX.Element {
  const { value, errors } = props;
  const bind = binder(props);
  const set = (patch: Partial<IDeployForm>) => props.onChange({ ...value, ...patch });
  const creating = value.endpoint === NEW_ENDPOINT;
  return (
    <form className="jp-mlservice-form" onSubmit={e => e.preventDefault()}>
      <TextField label="Model" {...bind('model')} hint="iris:3, iris@champion or iris (latest)" />
      <Field label="Endpoint" name="endpoint" error={errors.endpoint}>
        <select
          name="endpoint"
          className="jp-mlservice-input"
          value={value.endpoint}
          onChange={e => {
            const name = e.currentTarget.value;
            const chosen = props.endpoints.find(ep => ep.name === name);
            set({
              endpoint: name,
              allTraffic: !chosen || Object.values(chosen.traffic ?? {}).every(pct => !pct)
            });
          }}
        >
          {props.endpoints.map(ep => (
            <option key={ep.name} value={ep.name}>
              {ep.name}
            </option>
          ))}
          <option value={NEW_ENDPOINT}>New endpoint…</option>
        </select>
      </Field>
      {creating && (
        <div className="jp-mlservice-field-row">
          <TextField label="New endpoint name" {...bind('newEndpoint')} />
          <Field label="Authentication" name="authMode">
            <select
              name="authMode"
              className="jp-mlservice-input"
              value={value.authMode}
              onChange={e => set({ authMode: e.currentTarget.value as IDeployForm['authMode'] })}
            >
              <option value="key">key</option>
              <option value="none">none</option>
            </select>
          </Field>
        </div>
      )}
      <div className="jp-mlservice-field-row">
        <TextField label="Deployment name" {...bind('deployment')} />
        <TextField label="Replicas" {...bind('replicas')} />
      </div>
      <label className="jp-mlservice-check">
        <input
          type="checkbox"
          name="allTraffic"
          checked={value.allTraffic}
          onChange={e => set({ allTraffic: e.currentTarget.checked })}
        />
        Send all traffic to it once it is healthy
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
      <TextField label="Name" {...bind('name')} hint="e.g. iris (part of the scoring URI)" autoFocus />
      <Field label="Authentication" name="authMode" hint="key: callers send Authorization: Bearer <key>">
        <select
          name="authMode"
          className="jp-mlservice-input"
          value={value.authMode}
          onChange={e => set({ authMode: e.currentTarget.value as IEndpointForm['authMode'] })}
        >
          <option value="key">key</option>
          <option value="none">none (local experiments only)</option>
        </select>
      </Field>
      <TextField label="Description" {...bind('description')} />
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
      <TextField label="Model" {...bind('model')} hint="iris:3, iris@champion or iris (latest)" autoFocus />
      <div className="jp-mlservice-field-row">
        <TextField label="Replicas" {...bind('replicas')} hint="Worker processes, 1-32" />
        <TextField label="Max concurrent requests" {...bind('maxConcurrentRequests')} hint="Per worker; more wait" />
      </div>
      <div className="jp-mlservice-field-row">
        <TextField label="Request timeout (ms)" {...bind('requestTimeoutMs')} hint="Unanswered after this: 504" />
        <TextField label="Max queue wait (ms)" {...bind('maxQueueWaitMs')} hint="Waited longer for a slot: 429" />
      </div>
      <TextField
        label="Environment variables"
        {...bind('environment')}
        hint="One NAME=value a line; replaces the deployment's variables"
        className="jp-mlservice-code"
        rows={4}
        placeholder="OMP_NUM_THREADS=1"
      />
    </form>
  );
}
