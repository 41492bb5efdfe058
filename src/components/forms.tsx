import * as React from 'react';

import type { ISubmitForm, SubmitFormErrors } from '../models/submit';
import type { ITargetForm, TargetFormErrors } from '../models/targets';

export interface IFieldProps {
  label: string;
  name: string;
  error?: string;
  hint?: string;
  children: React.ReactElement;
}

export function Field(props: IFieldProps): JSX.Element {
  return (
    <label className={`jp-mlservice-field${props.error ? ' jp-mlservice-field-invalid' : ''}`}>
      <span className="jp-mlservice-field-label">{props.label}</span>
      {props.children}
      {props.hint && !props.error && <span className="jp-mlservice-field-hint">{props.hint}</span>}
      {props.error && (
        <span className="jp-mlservice-field-error" role="alert" data-field={props.name}>
          {props.error}
        </span>
      )}
    </label>
  );
}

export interface IFormProps<T, E> {
  value: T;
  errors: E;
  onChange: (value: T) => void;
}

/** New compute target: name, type, description, settings (JSON). */
export function TargetForm(
  props: IFormProps<ITargetForm, TargetFormErrors> & { types: ReadonlyArray<string> }
): JSX.Element {
  const { value, errors } = props;
  const set = (patch: Partial<ITargetForm>) => props.onChange({ ...value, ...patch });
  const types = props.types.length > 0 ? props.types : ['local', 'ray'];
  return (
    <form className="jp-mlservice-form" onSubmit={e => e.preventDefault()}>
      <Field label="Name" name="name" error={errors.name} hint="e.g. cpu-small">
        <input
          name="name"
          className="jp-mlservice-input"
          value={value.name}
          autoFocus
          onChange={e => set({ name: e.currentTarget.value })}
        />
      </Field>
      <Field label="Type" name="type" error={errors.type}>
        <select
          name="type"
          className="jp-mlservice-input"
          value={value.type}
          onChange={e => set({ type: e.currentTarget.value })}
        >
          {types.map(t => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
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
      <Field
        label="Settings (JSON)"
        name="settings"
        error={errors.settings}
        hint='e.g. {"max_concurrency": 2}; checked by the server for the type'
      >
        <textarea
          name="settings"
          className="jp-mlservice-input jp-mlservice-code"
          rows={4}
          value={value.settings}
          onChange={e => set({ settings: e.currentTarget.value })}
        />
      </Field>
    </form>
  );
}

/** Submit a notebook as a job: target, experiment, parameters... */
export function SubmitForm(
  props: IFormProps<ISubmitForm, SubmitFormErrors> & { targets: ReadonlyArray<string> }
): JSX.Element {
  const { value, errors } = props;
  const set = (patch: Partial<ISubmitForm>) => props.onChange({ ...value, ...patch });
  return (
    <form className="jp-mlservice-form" onSubmit={e => e.preventDefault()}>
      <Field label="Notebook" name="notebook" error={errors.notebook}>
        <input name="notebook" className="jp-mlservice-input" value={value.notebook} readOnly />
      </Field>
      <Field label="Compute target" name="target" error={errors.target}>
        <select
          name="target"
          className="jp-mlservice-input"
          value={value.target}
          onChange={e => set({ target: e.currentTarget.value })}
        >
          {props.targets.length === 0 && <option value="">(no targets)</option>}
          {props.targets.map(t => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Experiment" name="experiment" error={errors.experiment}>
        <input
          name="experiment"
          className="jp-mlservice-input"
          value={value.experiment}
          onChange={e => set({ experiment: e.currentTarget.value })}
        />
      </Field>
      <Field label="Display name" name="displayName" error={errors.displayName}>
        <input
          name="displayName"
          className="jp-mlservice-input"
          value={value.displayName}
          placeholder="(optional)"
          onChange={e => set({ displayName: e.currentTarget.value })}
        />
      </Field>
      <Field
        label="Parameters (JSON)"
        name="parameters"
        error={errors.parameters}
        hint="Pre-filled from the cell tagged `parameters`"
      >
        <textarea
          name="parameters"
          className="jp-mlservice-input jp-mlservice-code"
          rows={5}
          value={value.parameters}
          onChange={e => set({ parameters: e.currentTarget.value })}
        />
      </Field>
      <div className="jp-mlservice-field-row">
        <Field label="Timeout (s)" name="timeout" error={errors.timeout}>
          <input
            name="timeout"
            className="jp-mlservice-input"
            value={value.timeout}
            placeholder="none"
            onChange={e => set({ timeout: e.currentTarget.value })}
          />
        </Field>
        <Field label="Retries" name="maxRetries" error={errors.maxRetries}>
          <input
            name="maxRetries"
            className="jp-mlservice-input"
            value={value.maxRetries}
            onChange={e => set({ maxRetries: e.currentTarget.value })}
          />
        </Field>
      </div>
    </form>
  );
}
