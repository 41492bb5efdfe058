/**
 * How the run widget links to a job's view in the ML Studio. The widget lives in
 * notebook outputs, rendered by ipywidgets: the widget plugin tells it the
 * studio's links and how to open them in place (without it, links are plain URLs).
 */
import { studioUrl } from '../studio/links';

export const studioLinks: { link: (path: string) => string; open: ((path: string) => void) | null } = {
  link: path => studioUrl(path),
  open: null
};
