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

export interface ITextFieldProps extends Omit<IFieldProps, 'children'> {
  value: string;
  onChange: (value: string) => void;
  /** Show a textarea of this many rows instead of a one-line input. */
  rows?: number;
  placeholder?: string;
  autoFocus?: boolean;
  readOnly?: boolean;
  /** More classes for the input (e.g. jp-mlservice-code). */
  className?: string;
}

/** A labelled text input (or textarea) bound to one form value: the usual field of a form. */
export function TextField(props: ITextFieldProps): JSX.Element {
  const { label, name, error, hint, value, rows } = props;
  const className = `jp-mlservice-input${props.className ? ` ${props.className}` : ''}`;
  const onChange = (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) =>
    props.onChange(e.currentTarget.value);
  const common = {
    name,
    className,
    value,
    placeholder: props.placeholder,
    autoFocus: props.autoFocus,
    readOnly: props.readOnly,
    onChange: props.readOnly ? undefined : onChange
  };
  return (
    <Field label={label} name={name} error={error} hint={hint}>
      {rows ? <textarea rows={rows} {...common} /> : <input {...common} />}
    </Field>
  );
}

export interface IFormProps<T, E> {
  value: T;
  errors: E;
  onChange: (value: T) => void;
}

/** The names of a form's text fields. */
export type TextKeys<T> = { [K in keyof T]: T[K] extends string ? K : never }[keyof T] & string;

/**
 * Bind text fields to a form's value and errors:
 * `const bind = binder(props); <TextField label="Name" {...bind('name')} />`.
 */
export function binder<T, E>(props: IFormProps<T, E>) {
  return (name: TextKeys<T>) => ({
    name,
    value: props.value[name] as unknown as string,
    error: (props.errors as Partial<Record<string, string>>)[name],
    onChange: (v: string) => props.onChange({ ...props.value, [name]: v })
  });
}

/** New compute target: name, type, description, settings (JSON). */
export function TargetForm(
  props: IFormProps<ITargetForm, TargetFormErrors> & { types: ReadonlyArray<string> }
): JSX.Element {
  const { value, errors } = props;
  const bind = binder(props);
  const set = (patch: Partial<ITargetForm>) => props.onChange({ ...value, ...patch });
  const types = props.types.length > 0 ? props.types : ['local', 'ray'];
  return (
    <form className="jp-mlservice-form" onSubmit={e => e.preventDefault()}>
      <TextField label="Name" {...bind('name')} hint="e.g. cpu-small" autoFocus />
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
      <TextField label="Description" {...bind('description')} />
      <TextField
        label="Settings (JSON)"
        {...bind('settings')}
        hint='e.g. {"max_concurrency": 2}; checked by the server for the type'
        className="jp-mlservice-code"
        rows={4}
      />
    </form>
  );
}

/** Submit a notebook as a job: target, experiment, parameters... */
export function SubmitForm(
  props: IFormProps<ISubmitForm, SubmitFormErrors> & { targets: ReadonlyArray<string> }
): JSX.Element {
  const { value, errors } = props;
  const bind = binder(props);
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
      <TextField label="Experiment" {...bind('experiment')} />
      <TextField label="Display name" {...bind('displayName')} placeholder="(optional)" />
      <TextField
        label="Parameters (JSON)"
        {...bind('parameters')}
        hint="Pre-filled from the cell tagged `parameters`"
        className="jp-mlservice-code"
        rows={5}
      />
      <div className="jp-mlservice-field-row">
        <TextField label="Timeout (s)" {...bind('timeout')} placeholder="none" />
        <TextField label="Retries" {...bind('maxRetries')} />
      </div>
    </form>
  );
}
