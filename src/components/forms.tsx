import * as React from 'react';


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

export interface ISelectFieldProps extends Omit<IFieldProps, 'children'> {
  value: string;
  options: ReadonlyArray<{ value: string; label: string }>;
  onChange: (value: string) => void;
}

/** A labelled choice among options, bound to one form value. */
export function SelectField(props: ISelectFieldProps): JSX.Element {
  return (
    <Field label={props.label} name={props.name} error={props.error} hint={props.hint}>
      <select name={props.name} className="jp-mlservice-input" value={props.value} onChange={e => props.onChange(e.currentTarget.value)}>
        {props.options.map(option => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </Field>
  );
}
