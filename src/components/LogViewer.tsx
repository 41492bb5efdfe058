import * as React from 'react';

import { trans } from '../translate';

export interface ILogViewerProps {
  text: string;
  complete: boolean;
}

/**
 * A job's log. Follows the tail while the reader is at the bottom; scrolling
 * up pauses following until they scroll back down.
 */
export function LogViewer(props: ILogViewerProps): JSX.Element {
  const ref = React.useRef<HTMLPreElement>(null);
  const [follow, setFollow] = React.useState(true);

  React.useLayoutEffect(() => {
    const node = ref.current;
    if (node && follow) {
      node.scrollTop = node.scrollHeight;
    }
  }, [props.text, follow]);

  const onScroll = () => {
    const node = ref.current;
    if (!node) {
      return;
    }
    const atBottom = node.scrollHeight - node.scrollTop - node.clientHeight < 24;
    if (atBottom !== follow) {
      setFollow(atBottom);
    }
  };

  return (
    <div className="jp-mlservice-log">
      {/* Focusable, so that a keyboard can scroll a long log (axe: scrollable-region-focusable). */}
      <pre ref={ref} className="jp-mlservice-log-text" onScroll={onScroll} tabIndex={0} role="log" aria-label={trans.__('Log')}>
        {props.text || (props.complete ? trans.__('(empty log)') : trans.__('Waiting for output…'))}
      </pre>
      <div className="jp-mlservice-log-status">
        {props.complete
          ? trans.__('end of log')
          : follow
            ? trans.__('following the tail…')
            : trans.__('paused (scroll to the bottom to follow)')}
      </div>
    </div>
  );
}
