import { Dialog, InputDialog, Notification, showDialog } from '@jupyterlab/apputils';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { trans } from './translate';

type FormRender<T, E> = (value: T, errors: E, onChange: (v: T) => void) => JSX.Element;

/**
 * The form's value as React state: a change re-renders within the input event, so React never
 * puts a controlled input back to its old value (re-rendering later, on the widget's next
 * update, dropped keystrokes typed within one frame and moved the caret to the end).
 */
function FormState<T, E>(props: { initial: T; errors: E; render: FormRender<T, E>; onChange: (v: T) => void }) {
  const [value, setValue] = React.useState(props.initial);
  const latest = React.useRef(props.initial);
  // Fields build their change from the value they were rendered with; two changes before the next
  // render would otherwise undo one another. Apply only the fields that changed to the latest value.
  return props.render(value, props.errors, next => {
    const merged: any = { ...latest.current };
    for (const key of Object.keys(next as any)) {
      if ((next as any)[key] !== (value as any)[key]) {
        merged[key] = (next as any)[key];
      }
    }
    latest.current = merged;
    setValue(merged);
    props.onChange(merged);
  });
}

/** A dialog body holding a form's value; React renders it, the dialog reads it. */
class FormBody<T, E> extends ReactWidget implements Dialog.IBodyWidget<T> {
  constructor(
    private _value: T,
    private _errors: E,
    private _render: FormRender<T, E>
  ) {
    super();
    this.addClass('jp-mlservice-dialog-body');
  }

  getValue(): T {
    return this._value;
  }

  render(): JSX.Element {
    return (
      <FormState<T, E>
        initial={this._value}
        errors={this._errors}
        render={this._render}
        onChange={value => (this._value = value)}
      />
    );
  }
}

export interface IFormDialogOptions<T, E, R> {
  title: string;
  okLabel: string;
  initial: T;
  /** Errors to show the first time (e.g. the server refused what this form sent before). */
  initialErrors?: E;
  /** Returns the result to send, or errors to show in the re-opened form. */
  validate: (value: T) => { result?: R; errors: E };
  render: FormRender<T, E>;
}

/**
 * Show a form until its value validates (the dialog re-opens with the
 * errors next to the fields) or the user cancels; nothing invalid is sent.
 */
export async function formDialog<T, E, R>(options: IFormDialogOptions<T, E, R>): Promise<R | null> {
  let value = options.initial;
  let errors = options.initialErrors ?? ({} as E);
  for (;;) {
    const body = new FormBody<T, E>(value, errors, options.render);
    const answer = await showDialog<T>({
      title: options.title,
      body,
      buttons: [Dialog.cancelButton({ label: trans.__('Cancel') }), Dialog.okButton({ label: options.okLabel })],
      focusNodeSelector: 'input:not([readonly]), select, textarea'
    });
    if (!answer.button.accept || answer.value === null) {
      return null;
    }
    value = answer.value;
    const checked = options.validate(value);
    if (checked.result !== undefined) {
      return checked.result;
    }
    errors = checked.errors;
  }
}

/** Ask for confirmation of a destructive action. */
export async function confirm(title: string, message: string, label: string): Promise<boolean> {
  const answer = await showDialog({
    title,
    body: message,
    buttons: [Dialog.cancelButton({ label: trans.__('Cancel') }), Dialog.warnButton({ label })]
  });
  return answer.button.accept;
}

/**
 * A name given in a command's args, or picked from a list (null when the user
 * cancels or there is nothing to pick).
 */
export async function pickName(given: unknown, title: string, items: ReadonlyArray<string>): Promise<string | null> {
  if (given) {
    return String(given);
  }
  if (items.length === 0) {
    Notification.info(trans.__('Nothing to choose from for "%1".', title));
    return null;
  }
  const answer = await InputDialog.getItem({ title, items: [...items] });
  return answer.button.accept && answer.value ? answer.value : null;
}
