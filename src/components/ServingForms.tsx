import * as React from 'react';

import type { Endpoint } from '../api/client';
import {
  DeployFormErrors,
  EndpointFormErrors,
  IDeployForm,
  IEndpointForm,
  NEW_ENDPOINT
} from '../models/endpoints';
import type { IRegisterForm, RegisterFormErrors } from '../models/registry';
import { Field, IFormProps } from './forms';

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
  const set = (patch: Partial<IRegisterForm>) => props.onChange({ ...value, ...patch });
  return (
    <form className="jp-mlservice-form" onSubmit={e => e.preventDefault()}>
      <Field label="Model name" name="name" error={errors.name} hint="A new version is added if the model exists">
        <input
          name="name"
          className="jp-mlservice-input"
          value={value.name}
          autoFocus
          onChange={e => set({ name: e.currentTarget.value })}
        />
      </Field>
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
        <Field label="Run id" name="run" error={errors.run}>
          <input
            name="run"
            className="jp-mlservice-input"
            value={value.run}
            onChange={e => set({ run: e.currentTarget.value })}
          />
        </Field>
      )}
      {value.source === 'path' ? (
        <Field label="Path on the server" name="localPath" error={errors.localPath} hint="An MLflow model folder or a file">
          <input
            name="localPath"
            className="jp-mlservice-input"
            value={value.localPath}
            onChange={e => set({ localPath: e.currentTarget.value })}
          />
        </Field>
      ) : (
        <Field
          label="Artifact path"
          name="artifactPath"
          error={errors.artifactPath}
          hint={'Where the run logged it, e.g. mlflow.sklearn.log_model(m, name="model")'}
        >
          <input
            name="artifactPath"
            className="jp-mlservice-input"
            value={value.artifactPath}
            onChange={e => set({ artifactPath: e.currentTarget.value })}
          />
        </Field>
      )}
      <Field label="Description" name="description" error={errors.description}>
        <input
          name="description"
          className="jp-mlservice-input"
          value={value.description}
          onChange={e => set({ description: e.currentTarget.value })}
        />
      </Field>
    </form>
  );
}

/** Deploy a model version to a new or existing endpoint. */
export function DeployForm(
  props: IFormProps<IDeployForm, DeployFormErrors> & { endpoints: ReadonlyArray<Endpoint> }
): JSX.Element {
  const { value, errors } = props;
  const set = (patch: Partial<IDeployForm>) => props.onChange({ ...value, ...patch });
  const creating = value.endpoint === NEW_ENDPOINT;
  return (
    <form className="jp-mlservice-form" onSubmit={e => e.preventDefault()}>
      <Field label="Model" name="model" error={errors.model} hint="iris:3, iris@champion or iris (latest)">
        <input
          name="model"
          className="jp-mlservice-input"
          value={value.model}
          onChange={e => set({ model: e.currentTarget.value })}
        />
      </Field>
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
          <Field label="New endpoint name" name="newEndpoint" error={errors.newEndpoint}>
            <input
              name="newEndpoint"
              className="jp-mlservice-input"
              value={value.newEndpoint}
              onChange={e => set({ newEndpoint: e.currentTarget.value })}
            />
          </Field>
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
        <Field label="Deployment name" name="deployment" error={errors.deployment}>
          <input
            name="deployment"
            className="jp-mlservice-input"
            value={value.deployment}
            onChange={e => set({ deployment: e.currentTarget.value })}
          />
        </Field>
        <Field label="Replicas" name="replicas" error={errors.replicas}>
          <input
            name="replicas"
            className="jp-mlservice-input"
            value={value.replicas}
            onChange={e => set({ replicas: e.currentTarget.value })}
          />
        </Field>
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
  const { value, errors } = props;
  const set = (patch: Partial<IEndpointForm>) => props.onChange({ ...value, ...patch });
  return (
    <form className="jp-mlservice-form" onSubmit={e => e.preventDefault()}>
      <Field label="Name" name="name" error={errors.name} hint="e.g. iris (part of the scoring URI)">
        <input
          name="name"
          className="jp-mlservice-input"
          value={value.name}
          autoFocus
          onChange={e => set({ name: e.currentTarget.value })}
        />
      </Field>
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
      <Field label="Description" name="description" error={errors.description}>
        <input
          name="description"
          className="jp-mlservice-input"
          value={value.description}
          onChange={e => set({ description: e.currentTarget.value })}
        />
      </Field>
    </form>
  );
}
