/**
 * Deep links: every entity has a URL inside JupyterLab, /lab/mlservice/<area>/<key...>
 * (/lab/mlservice/jobs/<id>, /models/<name>/<version>, /endpoints/<name>, ...). The server
 * serves JupyterLab's page there (server/studio_links.py); the router sends it to the studio.
 *
 * A studio path is the part after /mlservice/, each segment URI-encoded: `models/my%20model/3`.
 */
import { PageConfig, URLExt } from '@jupyterlab/coreutils';

/** What the router matches: JupyterLab's page, maybe in a named workspace, then /mlservice. */
export const LINK_PATTERN = /^\/(lab|doc)(\/workspaces\/[a-zA-Z0-9\-_]+)?\/mlservice(\/[^?#]*)?/;

/** One path segment, URI-encoded but for the characters a path may hold as they are (`,` `:` `@`). */
export function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/%2C/gi, ',').replace(/%3A/gi, ':').replace(/%40/g, '@');
}

/** Segments -> a studio path ("jobs/abc"). */
export function joinPath(segments: ReadonlyArray<string>): string {
  return segments.map(encodeSegment).join('/');
}

/** A studio path -> its segments (decoded; empty ones dropped). */
export function splitPath(path: string): string[] {
  return path
    .split('/')
    .filter(s => s.length > 0)
    .map(s => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}

/** The studio path in a routed location's path ("/lab/mlservice/jobs/x" -> "jobs/x"), or null. */
export function pathOfLocation(locationPath: string): string | null {
  const match = LINK_PATTERN.exec(locationPath);
  if (!match) {
    return null;
  }
  return (match[3] ?? '').replace(/^\/+/, '').replace(/\/+$/, '');
}

/**
 * The full URL of a studio path, in this page's workspace:
 * http://host/base/lab[/workspaces/<name>]/mlservice/<path>.
 */
export function studioUrl(path: string, options: { absolute?: boolean } = {}): string {
  const workspace = PageConfig.getOption('workspace');
  const parts = [PageConfig.getBaseUrl(), 'lab'];
  if (workspace && workspace !== PageConfig.defaultWorkspace) {
    parts.push('workspaces', encodeURIComponent(workspace));
  }
  parts.push('mlservice');
  if (path) {
    parts.push(path);
  }
  const url = URLExt.join(...parts);
  if (options.absolute === false) {
    return URLExt.parse(url).pathname;
  }
  return url;
}
