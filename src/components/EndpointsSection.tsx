import {
  Button,
  HTMLSelect,
  caretDownIcon,
  caretRightIcon,
  copyIcon,
  deleteIcon,
  editIcon,
  listIcon,
  refreshIcon,
  viewBreakpointIcon
} from '@jupyterlab/ui-components';
import * as React from 'react';

import type { Deployment, Endpoint, InvokeResponse } from '../api/client';
import {
  EndpointsModel,
  IMirrorForm,
  MAX_MIRROR_PERCENT,
  MirrorFormErrors,
  initialMirrorForm,
  validateMirrorForm
} from '../models/endpoints';
import { formatNumber, statusClass } from './format';
import { useModel } from './useModel';

export interface IEndpointsSectionProps {
  model: EndpointsModel;
  onCreate: () => void;
  onDelete: (name: string) => void;
  onDeleteDeployment: (endpoint: string, deployment: string) => void;
  /** Change a deployment's model, replicas, request settings or environment. */
  onEditDeployment: (endpoint: string, deployment: string) => void;
  onOpenLogs: (endpoint: string, deployment: string) => void;
  onRegenerateKey: (endpoint: string, which: 'primary' | 'secondary') => void;
  /** Copy a secret or a URI to the clipboard. */
  onCopy: (text: string, what: string) => void;
  /** An action failed: tell the user. */
  onError: (error: unknown, what: string) => void;
}

/** Show the end of a key only: enough to tell keys apart, not to use one. */
export function maskKey(key: string | null | undefined): string {
  if (!key) {
    return '(none)';
  }
  return `${'•'.repeat(12)}${key.slice(-4)}`;
}

/** "blue 90% · green 10%" */
export function trafficSummary(traffic: Record<string, number>): string {
  const parts = Object.entries(traffic)
    .filter(([, pct]) => pct > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([name, pct]) => `${name} ${pct}%`);
  return parts.length > 0 ? parts.join(' · ') : 'no traffic';
}

/** "mirror green 10%", or '' when nothing is mirrored. */
export function mirrorSummary(mirror: Record<string, number> | null | undefined): string {
  const parts = Object.entries(mirror ?? {})
    .filter(([, pct]) => pct > 0)
    .map(([name, pct]) => `${name} ${pct}%`);
  return parts.length > 0 ? `mirror ${parts.join(' · ')}` : '';
}

function formatMs(value: number | null | undefined): string {
  if (value === null || value === undefined) {
    return '–';
  }
  return value < 10 ? value.toFixed(1) : String(Math.round(value));
}

/** Endpoints; the open one shows deployments, traffic, keys, live figures and a test form. */
export function EndpointsSection(props: IEndpointsSectionProps): JSX.Element {
  const model = useModel(props.model);
  return (
    <div className="jp-mlservice-section-body jp-mlservice-endpoints">
      {model.error && <div className="jp-mlservice-error">{model.error}</div>}
      {!model.loading && model.items.length === 0 && !model.error && (
        <div className="jp-mlservice-empty">
          No endpoints. Deploy a model from the Models section, or{' '}
          <Button minimal small onClick={props.onCreate}>
            create one
          </Button>
        </div>
      )}
      <ul className="jp-mlservice-list">
        {model.items.map(endpoint => (
          <EndpointItem key={endpoint.name} endpoint={endpoint} {...props} />
        ))}
      </ul>
    </div>
  );
}

function EndpointItem(props: IEndpointsSectionProps & { endpoint: Endpoint }): JSX.Element {
  const { model, endpoint } = props;
  const open = model.selected === endpoint.name;
  const Caret = open ? caretDownIcon : caretRightIcon;
  const toggle = () => void model.select(open ? null : endpoint.name);
  return (
    <li className="jp-mlservice-item jp-mlservice-endpoint" data-endpoint={endpoint.name}>
      <div className="jp-mlservice-item-main">
        <button
          className="jp-mlservice-icon-button jp-mlservice-caret"
          aria-label={`${open ? 'Close' : 'Open'} endpoint ${endpoint.name}`}
          aria-expanded={open}
          onClick={toggle}
        >
          <Caret.react tag="span" />
        </button>
        <a
          href="#"
          className="jp-mlservice-item-name jp-mlservice-endpoint-name"
          title={endpoint.description || endpoint.scoring_uri}
          onClick={e => {
            e.preventDefault();
            toggle();
          }}
        >
          {endpoint.name}
        </a>
        <span className={statusClass(endpoint.status)} data-status={endpoint.status}>
          {endpoint.status}
        </span>
        <span className="jp-mlservice-spacer" />
        <button
          className="jp-mlservice-icon-button"
          aria-label={`Delete endpoint ${endpoint.name}`}
          title={`Delete endpoint ${endpoint.name}`}
          onClick={() => props.onDelete(endpoint.name)}
        >
          <deleteIcon.react tag="span" />
        </button>
      </div>
      <div className="jp-mlservice-item-meta">
        <span>
          {endpoint.deployments.length} deployment{endpoint.deployments.length === 1 ? '' : 's'}
        </span>
        <span className="jp-mlservice-traffic-summary">{trafficSummary(endpoint.traffic ?? {})}</span>
        {mirrorSummary(endpoint.mirror_traffic) && (
          <span
            className="jp-mlservice-mirror-summary"
            title="Share of requests copied to a deployment; its answers are dropped"
          >
            {mirrorSummary(endpoint.mirror_traffic)}
          </span>
        )}
        {endpoint.auth_mode === 'none' && <span className="jp-mlservice-chip">no auth</span>}
      </div>
      {endpoint.error && <div className="jp-mlservice-error">{endpoint.error}</div>}
      {open && <EndpointDetail {...props} />}
    </li>
  );
}

function EndpointDetail(props: IEndpointsSectionProps & { endpoint: Endpoint }): JSX.Element {
  const { model, endpoint } = props;
  const traffic = model.traffic;
  return (
    <div className="jp-mlservice-endpoint-detail">
      <div className="jp-mlservice-uri">
        <code title={`Scoring URI (POST); /invocations and /v2/models/... hang off ${endpoint.base_uri}`}>{endpoint.scoring_uri}</code>
        <button
          className="jp-mlservice-icon-button"
          aria-label="Copy the scoring URI"
          title="Copy the scoring URI"
          onClick={() => props.onCopy(endpoint.scoring_uri, 'Scoring URI')}
        >
          <copyIcon.react tag="span" />
        </button>
      </div>

      <h4 className="jp-mlservice-subtitle">Deployments</h4>
      {model.deployments.length === 0 && <div className="jp-mlservice-empty">No deployments yet.</div>}
      {model.deployments.map(deployment => (
        <DeploymentRow
          key={deployment.name}
          deployment={deployment}
          share={traffic[deployment.name] ?? 0}
          {...props}
        />
      ))}
      {model.trafficDirty && (
        <div className="jp-mlservice-traffic-actions">
          {model.trafficError && (
            <div className="jp-mlservice-field-error" role="alert">
              {model.trafficError}
            </div>
          )}
          <Button
            small
            className="jp-mlservice-traffic-apply"
            disabled={model.trafficError !== null}
            onClick={() =>
              void model.applyTraffic().catch(error => props.onError(error, 'Set traffic'))
            }
          >
            Apply traffic
          </Button>
          <Button minimal small onClick={() => model.resetTraffic()}>
            Reset
          </Button>
        </div>
      )}

      {model.deployments.length > 1 && <MirrorTraffic key={endpoint.deployments.join(',')} {...props} />}
      {endpoint.auth_mode === 'key' && <Keys {...props} />}
      <TestRequest {...props} />
    </div>
  );
}

function DeploymentRow(
  props: IEndpointsSectionProps & { endpoint: Endpoint; deployment: Deployment; share: number }
): JSX.Element {
  const { model, endpoint, deployment, share } = props;
  const figures = model.figures(deployment.name);
  const mirrored = deployment.mirror_traffic ?? 0;
  return (
    <div className="jp-mlservice-deployment" data-deployment={deployment.name}>
      <div className="jp-mlservice-item-main">
        <span className="jp-mlservice-item-name">{deployment.name}</span>
        <span className={statusClass(deployment.status)} data-status={deployment.status}>
          {deployment.status}
        </span>
        <span className="jp-mlservice-chip" title="Model version">
          {deployment.model_name}:{deployment.model_version}
        </span>
        <span className="jp-mlservice-spacer" />
        <button
          className="jp-mlservice-icon-button"
          aria-label={`Edit deployment ${deployment.name}`}
          title="Edit: model, replicas, request settings, environment"
          disabled={deployment.status === 'Deleting'}
          onClick={() => props.onEditDeployment(endpoint.name, deployment.name)}
        >
          <editIcon.react tag="span" />
        </button>
        <button
          className="jp-mlservice-icon-button"
          aria-label={`Logs of ${deployment.name}`}
          title="Logs"
          onClick={() => props.onOpenLogs(endpoint.name, deployment.name)}
        >
          <listIcon.react tag="span" />
        </button>
        <button
          className="jp-mlservice-icon-button"
          aria-label={`Delete deployment ${deployment.name}`}
          title={`Delete deployment ${deployment.name} (move its traffic away first)`}
          onClick={() => props.onDeleteDeployment(endpoint.name, deployment.name)}
        >
          <deleteIcon.react tag="span" />
        </button>
      </div>
      <div className="jp-mlservice-item-meta">
        <span
          title="Workers ready / replicas asked for"
          className="jp-mlservice-replicas"
          data-replicas={deployment.replicas}
        >
          {deployment.ready_workers}/{deployment.replicas} ready
        </span>
        {mirrored > 0 && (
          <span className="jp-mlservice-chip jp-mlservice-deployment-mirror" title="Share of requests copied here">
            mirror {mirrored}%
          </span>
        )}
      </div>
      {deployment.error && <div className="jp-mlservice-error">{deployment.error}</div>}
      <label className="jp-mlservice-traffic">
        <input
          type="range"
          min={0}
          max={100}
          step={1}
          value={share}
          aria-label={`Traffic to ${deployment.name}`}
          onChange={e => model.setTraffic(deployment.name, Number(e.currentTarget.value))}
        />
        <input
          type="number"
          className="jp-mlservice-input jp-mlservice-traffic-value"
          min={0}
          max={100}
          value={share}
          aria-label={`Traffic percent to ${deployment.name}`}
          onChange={e => model.setTraffic(deployment.name, Number(e.currentTarget.value) || 0)}
        />
        <span>%</span>
      </label>
      <div className="jp-mlservice-figures" data-deployment-figures={deployment.name}>
        <span title="Requests answered since the deployment started" className="jp-mlservice-figure-requests">
          {figures ? figures.requests : 0} req
        </span>
        <span title="Requests per second, over the last few seconds">
          {figures?.rate !== null && figures?.rate !== undefined ? `${formatNumber(Number(figures.rate.toFixed(2)))}/s` : '–/s'}
        </span>
        <span title="Requests answered with an error" className={figures?.errors ? 'jp-mlservice-figure-errors' : ''}>
          {figures ? figures.errors : 0} err
        </span>
        <span title="Median latency">p50 {formatMs(figures?.p50_ms)} ms</span>
        <span title="99th percentile latency">p99 {formatMs(figures?.p99_ms)} ms</span>
      </div>
    </div>
  );
}

function Keys(props: IEndpointsSectionProps & { endpoint: Endpoint }): JSX.Element {
  const { model, endpoint } = props;
  const [revealed, setRevealed] = React.useState<Record<string, boolean>>({});
  const keys = model.keys;
  return (
    <div className="jp-mlservice-keys">
      <h4 className="jp-mlservice-subtitle">Keys</h4>
      {!keys && (
        <Button
          minimal
          small
          className="jp-mlservice-keys-show"
          onClick={() => void model.loadKeys().catch(error => props.onError(error, 'Read keys'))}
        >
          Show keys
        </Button>
      )}
      {keys &&
        (['primary', 'secondary'] as const).map(which => {
          const key = keys[which];
          return (
            <div key={which} className="jp-mlservice-key" data-key={which}>
              <span className="jp-mlservice-key-label">{which}</span>
              <code className="jp-mlservice-key-value">{revealed[which] ? key : maskKey(key)}</code>
              <button
                className="jp-mlservice-icon-button"
                aria-label={`${revealed[which] ? 'Hide' : 'Reveal'} the ${which} key`}
                title={revealed[which] ? 'Hide' : 'Reveal'}
                onClick={() => setRevealed({ ...revealed, [which]: !revealed[which] })}
              >
                <viewBreakpointIcon.react tag="span" />
              </button>
              <button
                className="jp-mlservice-icon-button"
                aria-label={`Copy the ${which} key`}
                title="Copy"
                disabled={!key}
                onClick={() => key && props.onCopy(key, `The ${which} key of ${endpoint.name}`)}
              >
                <copyIcon.react tag="span" />
              </button>
              <button
                className="jp-mlservice-icon-button"
                aria-label={`Regenerate the ${which} key`}
                title="Regenerate (the old key stops working)"
                onClick={() => props.onRegenerateKey(endpoint.name, which)}
              >
                <refreshIcon.react tag="span" />
              </button>
            </div>
          );
        })}
    </div>
  );
}

/** Copy a share of the endpoint's requests to a deployment (answers dropped), or stop. */
function MirrorTraffic(props: IEndpointsSectionProps & { endpoint: Endpoint }): JSX.Element {
  const { model, endpoint } = props;
  const mirror = model.mirror;
  const [form, setForm] = React.useState<IMirrorForm>(() => initialMirrorForm(endpoint));
  const [errors, setErrors] = React.useState<MirrorFormErrors>({});
  const [problem, setProblem] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState(false);
  const send = async (table: Record<string, number>) => {
    setBusy(true);
    setProblem(null);
    try {
      await model.setMirror(table);
    } catch (error) {
      // The server's rules (e.g. live or mirror traffic, not both) say what to change.
      setProblem((error as Error).message ?? String(error));
    } finally {
      setBusy(false);
    }
  };
  const apply = () => {
    const checked = validateMirrorForm(form, endpoint);
    setErrors(checked.errors);
    if (checked.mirror) {
      void send(checked.mirror);
    }
  };
  const change = (patch: Partial<IMirrorForm>) => {
    setForm({ ...form, ...patch });
    setErrors({});
  };
  const current = mirrorSummary(mirror);
  return (
    <div className="jp-mlservice-mirror">
      <h4 className="jp-mlservice-subtitle">Mirror traffic</h4>
      <div className="jp-mlservice-mirror-current" data-mirror={JSON.stringify(mirror)}>
        {current
          ? `Copies ${Object.entries(mirror)
              .map(([name, pct]) => `${pct}% of requests to ${name}`)
              .join(' and ')}; callers get their answers from the live deployments only.`
          : 'Off. Copy a share of live requests to a deployment to try it on real traffic; its answers are dropped.'}
      </div>
      <div className="jp-mlservice-filters">
        <HTMLSelect
          aria-label="Mirror to deployment"
          className="jp-mlservice-mirror-deployment"
          value={form.deployment}
          onChange={e => change({ deployment: e.currentTarget.value })}
          options={model.deployments.map(d => {
            const live = endpoint.traffic?.[d.name] ?? 0;
            return { label: live ? `${d.name} (live ${live}%)` : d.name, value: d.name };
          })}
        />
        <input
          type="number"
          className="jp-mlservice-input jp-mlservice-mirror-percent"
          min={0}
          max={MAX_MIRROR_PERCENT}
          aria-label="Percent of requests to mirror"
          value={form.percent}
          onChange={e => change({ percent: e.currentTarget.value })}
        />
        <span>%</span>
        <Button small className="jp-mlservice-mirror-apply" disabled={busy} onClick={apply}>
          Set mirror
        </Button>
        {current && (
          <Button minimal small className="jp-mlservice-mirror-clear" disabled={busy} onClick={() => void send({})}>
            Stop mirroring
          </Button>
        )}
      </div>
      {(['deployment', 'percent'] as const).map(
        field =>
          errors[field] && (
            <div key={field} className="jp-mlservice-field-error" role="alert" data-field={`mirror-${field}`}>
              {errors[field]}
            </div>
          )
      )}
      {problem && (
        <div className="jp-mlservice-error jp-mlservice-mirror-problem" role="alert">
          {problem}
        </div>
      )}
    </div>
  );
}

const PATHS = ['/invocations', '/score'];

function TestRequest(props: IEndpointsSectionProps & { endpoint: Endpoint }): JSX.Element {
  const { model, endpoint } = props;
  const [payload, setPayload] = React.useState('{\n  "inputs": [[5.1, 3.5, 1.4, 0.2]]\n}');
  const [path, setPath] = React.useState('/invocations');
  const [target, setTarget] = React.useState('');
  const [problem, setProblem] = React.useState<string | null>(null);
  const send = async () => {
    setProblem(null);
    try {
      await model.invoke(payload, path, target || null);
    } catch (error) {
      setProblem((error as Error).message ?? String(error));
    }
  };
  const response = model.lastResponse;
  const listId = `jp-mlservice-paths-${endpoint.name}`;
  return (
    <div className="jp-mlservice-test">
      <h4 className="jp-mlservice-subtitle">Test request</h4>
      <div className="jp-mlservice-filters">
        <input
          className="jp-mlservice-input jp-mlservice-test-path"
          aria-label="Path"
          list={listId}
          value={path}
          onChange={e => setPath(e.currentTarget.value)}
        />
        <datalist id={listId}>
          {[...new Set([...PATHS, ...model.deployments.map(d => `/v2/models/${d.model_name}/infer`)])].map(p => (
            <option key={p} value={p} />
          ))}
        </datalist>
        <HTMLSelect
          aria-label="Send to"
          className="jp-mlservice-test-deployment"
          value={target}
          onChange={e => setTarget(e.currentTarget.value)}
          options={[
            { label: 'by traffic', value: '' },
            ...model.deployments.map(d => ({ label: d.name, value: d.name }))
          ]}
        />
      </div>
      <textarea
        className="jp-mlservice-input jp-mlservice-code jp-mlservice-test-payload"
        aria-label="Request body (JSON)"
        rows={4}
        value={payload}
        onChange={e => setPayload(e.currentTarget.value)}
      />
      <Button
        small
        className="jp-mlservice-test-send"
        disabled={model.invoking}
        onClick={() => void send()}
      >
        {model.invoking ? 'Sending…' : 'Send'}
      </Button>
      {problem && (
        <div className="jp-mlservice-error" role="alert">
          {problem}
        </div>
      )}
      {response && <TestResponse response={response} />}
    </div>
  );
}

export function TestResponse(props: { response: InvokeResponse }): JSX.Element {
  const { response } = props;
  const ok = response.status >= 200 && response.status < 300;
  const body = typeof response.body === 'string' ? response.body : JSON.stringify(response.body, null, 2);
  return (
    <div className="jp-mlservice-test-response" data-status-code={response.status}>
      <div className="jp-mlservice-item-meta">
        <span className={`jp-mlservice-status jp-mlservice-status-${ok ? 'completed' : 'failed'}`}>
          {response.status}
        </span>
        {response.deployment && <span>from {response.deployment}</span>}
        <span>{formatMs(response.latency_ms)} ms</span>
      </div>
      <pre className="jp-mlservice-test-body">{body}</pre>
    </div>
  );
}
