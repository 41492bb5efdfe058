/**
 * Every user-facing string goes through JupyterLab's translator, in this
 * extension's domain: `trans.__('Delete the endpoint "%1"?', name)`.
 *
 * One bundle for the whole extension, set once by the main plugin from
 * `ITranslator`, so pure modules (form checks, formatting) translate their
 * messages without a translator threaded through every call. Until then (and
 * in Jest) the null translator answers the English text, `%1` filled in.
 */
import { ITranslator, TranslationBundle, nullTranslator } from '@jupyterlab/translation';

/** The gettext domain of jupyter_mlservice's strings. */
export const DOMAIN = 'jupyter_mlservice';

let bundle: TranslationBundle = nullTranslator.load(DOMAIN);

/** Use the application's translator from now on. */
export function setTranslator(translator: ITranslator | null): void {
  bundle = (translator ?? nullTranslator).load(DOMAIN);
}

/** The bundle of the extension's domain: `trans.__`, `trans._n`, `trans._p`. */
export const trans = {
  __: (msgid: string, ...args: any[]): string => bundle.__(msgid, ...args),
  _n: (singular: string, plural: string, n: number, ...args: any[]): string => bundle._n(singular, plural, n, ...args),
  _p: (context: string, msgid: string, ...args: any[]): string => bundle._p(context, msgid, ...args)
};
