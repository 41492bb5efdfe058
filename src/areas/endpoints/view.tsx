import {
  Button,
  HTMLSelect,
  copyIcon,
  deleteIcon,
  editIcon,
  listIcon,
  refreshIcon,
  viewBreakpointIcon
} from '@jupyterlab/ui-components';
import * as React from 'react';

import type { Deployment, Endpoint, InvokeResponse } from '../../api/client';
import { DetailFrame, DetailSection, IDetailHost, StudioLink } from '../../components/DetailFrame';
import type { IColumn } from '../../components/EntityList';
import { IconButton } from '../../components/IconButton';
import { formatNumber, formatTime, statusClass } from '../../components/format';
import { LogViewer } from '../../components/LogViewer';
import { useModel } from '../../components/useModel';
import { trans } from '../../translate';
import { endpointMonitoringPath } from '../monitoring/view';
import {
  IMirrorForm,
  MAX_MIRROR_PERCENT,
  MirrorFormErrors,
  initialMirrorForm,
  maskKey,
  mirrorSummary,
  trafficSummary,
  validateMirrorForm
} from './forms';
import { DeploymentLogsModel, EndpointDetailModel } from './model';

/** The Endpoints list's columns. */
export function endpointColumns(): IColumn<Endpoint>[] {
  return [
    { id: 'name', label: trans.__('Name'), render: e => e.name, sortValue: e => e.name, text: e => `${e.name} ${e.description}` },
    {
      id: 'status',
      label: trans.__('Status'),
      render: e => (
        <span className={statusClass(e.status)} data-status={e.status}>
          {e.status}
        </span>
      ),
      sortValue: e => e.status,
      text: e => e.status
    },
    {
      id: 'deployments',
      label: trans.__('Deployments'),
      render: e => e.deployments.length,
      sortValue: e => e.deployments.length,
      className: 'jp-mlservice-num'
    },
    {
      id: 'traffic',
      label: trans.__('Traffic'),
      render: e => (
        <>
          <span className="jp-mlservice-traffic-summary">{trafficSummary(e.traffic ?? {})}</span>
          {mirrorSummary(e.mirror_traffic) && (
            <span className="jp-mlservice-mirror-summary"> · {mirrorSummary(e.mirror_traffic)}</span>
          )}
        </>
      ),
      text: e => e.deployments.join(' ')
    },
    { id: 'auth', label: trans.__('Auth'), render: e => e.auth_mode, sortValue: e => e.auth_mode },
    { id: 'created', label: trans.__('Created'), render: e => formatTime(e.created_at), sortValue: e => e.created_at }
  ];
}

/** What an endpoint's view asks the application to do (the area binds these to commands). */
export interface IEndpointActions {
  deploy: (endpoint: string) => void;
  deleteEndpoint: (endpoint: string) => void;
  deleteDeployment: (endpoint: string, deployment: string) => void;
  editDeployment: (endpoint: string, deployment: string) => void;
  openLogs: (endpoint: string, deployment: string) => void;
  regenerateKey: (model: EndpointDetailModel, which: 'primary' | 'secondary') => void;
  /** An action failed: tell the user. */
  notifyError: (error: unknown, what: string) => void;
}

interface IViewProps {
  model: EndpointDetailModel;
  actions: IEndpointActions;
  host: IDetailHost;
}

function formatMs(value: number | null | undefined): string {
  if (value === null || value === undefined) {
    return '–';
  }
  return value < 10 ? value.toFixed(1) : String(Math.round(value));
}

/** One endpoint: scoring URI, deployments with health, traffic and figures, mirror, keys, a test request. */
export function EndpointView(props: IViewProps): JSX.Element {
  const model = useModel(props.model);
  const { actions, host } = props;
  const endpoint = model.endpoint;
  return (
    <DetailFrame
      host={host}
      kind={trans.__('Endpoint')}
      title={model.name}
      status={endpoint?.status}
      className="jp-mlservice-endpoint-view"
      data={{ endpoint: model.name }}
      model={model}
      error={model.error ?? endpoint?.error}
      meta={
        endpoint && (
          <>
            <span className="jp-mlservice-traffic-summary">{trafficSummary(endpoint.traffic ?? {})}</span>
            {mirrorSummary(endpoint.mirror_traffic) && (
              <span
                className="jp-mlservice-mirror-summary"
                title={trans.__("Share of requests copied to a deployment; its answers are dropped")}
              >
                {mirrorSummary(endpoint.mirror_traffic)}
              </span>
            )}
            {endpoint.auth_mode === 'none' && <span className="jp-mlservice-chip">{trans.__('no auth')}</span>}
            <StudioLink
              host={host}
              path={endpointMonitoringPath(model.name)}
              className="jp-mlservice-endpoint-monitoring-link"
              title={trans.__('Requests, errors and latency over time, and the monitors that watch this endpoint')}
            >
              {trans.__('Monitoring')}
            </StudioLink>
            {endpoint.description && <span>{endpoint.description}</span>}
          </>
        )
      }
      actions={[
        { label: trans.__('Deploy a model'), onClick: () => actions.deploy(model.name), className: 'jp-mlservice-endpoint-deploy' },
        { label: trans.__('Delete'), onClick: () => actions.deleteEndpoint(model.name), className: 'jp-mlservice-endpoint-delete' }
      ]}
    >
      {endpoint && <EndpointSections {...props} endpoint={endpoint} />}
    </DetailFrame>
  );
}

function EndpointSections(props: IViewProps & { endpoint: Endpoint }): JSX.Element {
  const { model, endpoint, actions, host } = props;
  const traffic = model.traffic;
  return (
    <>
      <div className="jp-mlservice-uri">
        <code title={trans.__('Scoring URI (POST); /invocations and /v2/models/... hang off %1', endpoint.base_uri)}>
          {endpoint.scoring_uri}
        </code>
        <IconButton
          icon={copyIcon}
          label={trans.__('Copy the scoring URI')}
          onClick={() => host.copy(endpoint.scoring_uri, trans.__('Scoring URI'))}
        />
      </div>

      <DetailSection title={trans.__('Deployments')} className="jp-mlservice-deployments">
        {model.deployments.length === 0 && <div className="jp-mlservice-empty">{trans.__('No deployments yet.')}</div>}
        {model.deployments.map(deployment => (
          <DeploymentRow key={deployment.name} {...props} deployment={deployment} share={traffic[deployment.name] ?? 0} />
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
              disabled={model.trafficError !== null || model.applyingTraffic}
              onClick={() => void model.applyTraffic().catch(error => actions.notifyError(error, trans.__('Set traffic')))}
            >
              {model.applyingTraffic ? trans.__('Applying traffic…') : trans.__('Apply traffic')}
            </Button>
            <Button minimal small disabled={model.applyingTraffic} onClick={() => model.resetTraffic()}>
              {trans.__('Reset')}
            </Button>
          </div>
        )}
      </DetailSection>

      {model.deployments.length > 1 && <MirrorTraffic key={endpoint.deployments.join(',')} {...props} />}
      {endpoint.auth_mode === 'key' && <Keys {...props} />}
      <TestRequest {...props} />
    </>
  );
}

function DeploymentRow(props: IViewProps & { endpoint: Endpoint; deployment: Deployment; share: number }): JSX.Element {
  const { model, endpoint, deployment, share, actions } = props;
  const figures = model.figures(deployment.name);
  const mirrored = deployment.mirror_traffic ?? 0;
  return (
    <div className="jp-mlservice-deployment" data-deployment={deployment.name}>
      <div className="jp-mlservice-item-main">
        <span className="jp-mlservice-item-name">{deployment.name}</span>
        <span className={statusClass(deployment.status)} data-status={deployment.status}>
          {deployment.status}
        </span>
        <span className="jp-mlservice-chip" title={trans.__('Model version')}>
          {deployment.model_name}:{deployment.model_version}
        </span>
        {deployment.all_traffic_pending && (
          <span className="jp-mlservice-chip jp-mlservice-all-traffic-pending" title={trans.__('The server routes all traffic here once it is Healthy')}>
            {trans.__('takes all traffic once healthy')}
          </span>
        )}
        <span className="jp-mlservice-spacer" />
        <IconButton
          icon={editIcon}
          label={trans.__('Edit deployment %1', deployment.name)}
          title={trans.__('Edit: model, replicas, request settings, environment')}
          disabled={deployment.status === 'Deleting'}
          onClick={() => actions.editDeployment(endpoint.name, deployment.name)}
        />
        <IconButton
          icon={listIcon}
          label={trans.__('Logs of %1', deployment.name)}
          title={trans.__('Logs')}
          onClick={() => actions.openLogs(endpoint.name, deployment.name)}
        />
        <IconButton
          icon={deleteIcon}
          label={trans.__('Delete deployment %1', deployment.name)}
          title={trans.__('Delete deployment %1 (move its traffic away first)', deployment.name)}
          onClick={() => actions.deleteDeployment(endpoint.name, deployment.name)}
        />
      </div>
      <div className="jp-mlservice-item-meta">
        <span title={trans.__('Workers ready / replicas asked for')} className="jp-mlservice-replicas" data-replicas={deployment.replicas}>
          {trans.__('%1/%2 ready', deployment.ready_workers ?? 0, deployment.replicas)}
        </span>
        {mirrored > 0 && (
          <span className="jp-mlservice-chip jp-mlservice-deployment-mirror" title={trans.__('Share of requests copied here')}>
            {trans.__('mirror %1%', mirrored)}
          </span>
        )}
      </div>
      {deployment.error && <div className="jp-mlservice-error">{deployment.error}</div>}
      <div className="jp-mlservice-traffic">
        <input
          type="range"
          min={0}
          max={100}
          step={1}
          value={share}
          aria-label={trans.__('Traffic to %1', deployment.name)}
          onChange={e => model.setTraffic(deployment.name, Number(e.currentTarget.value))}
        />
        <input
          type="number"
          className="jp-mlservice-input jp-mlservice-traffic-value"
          min={0}
          max={100}
          value={share}
          aria-label={trans.__('Traffic percent to %1', deployment.name)}
          onChange={e => model.setTraffic(deployment.name, Number(e.currentTarget.value) || 0)}
        />
        <span aria-hidden="true">%</span>
      </div>
      <div className="jp-mlservice-figures" data-deployment-figures={deployment.name}>
        <span title={trans.__('Requests answered since the deployment started')} className="jp-mlservice-figure-requests">
          {trans.__('%1 req', figures ? figures.requests : 0)}
        </span>
        <span title={trans.__('Requests per second, over the last few seconds')}>
          {figures?.rate !== null && figures?.rate !== undefined ? `${formatNumber(Number(figures.rate.toFixed(2)))}/s` : '–/s'}
        </span>
        <span title={trans.__('Requests answered with an error')} className={figures?.errors ? 'jp-mlservice-figure-errors' : ''}>
          {trans.__('%1 err', figures ? figures.errors : 0)}
        </span>
        <span title={trans.__('Median latency')}>{trans.__('p50 %1 ms', formatMs(figures?.p50_ms))}</span>
        <span title={trans.__('99th percentile latency')}>{trans.__('p99 %1 ms', formatMs(figures?.p99_ms))}</span>
      </div>
    </div>
  );
}

function Keys(props: IViewProps & { endpoint: Endpoint }): JSX.Element {
  const { model, endpoint, actions, host } = props;
  const [revealed, setRevealed] = React.useState<Record<string, boolean>>({});
  const keys = model.keys;
  return (
    <DetailSection title={trans.__('Keys')} className="jp-mlservice-keys">
      {!keys && (
        <Button
          minimal
          small
          className="jp-mlservice-keys-show"
          onClick={() => void model.loadKeys().catch(error => actions.notifyError(error, trans.__('Read keys')))}
        >
          {trans.__('Show keys')}
        </Button>
      )}
      {keys &&
        (['primary', 'secondary'] as const).map(which => {
          const key = keys[which];
          const label = which === 'primary' ? trans.__('primary') : trans.__('secondary');
          return (
            <div key={which} className="jp-mlservice-key" data-key={which}>
              <span className="jp-mlservice-key-label">{label}</span>
              <code className="jp-mlservice-key-value">{revealed[which] ? key : maskKey(key)}</code>
              <IconButton
                icon={viewBreakpointIcon}
                label={revealed[which] ? trans.__('Hide the %1 key', label) : trans.__('Reveal the %1 key', label)}
                title={revealed[which] ? trans.__('Hide') : trans.__('Reveal')}
                onClick={() => setRevealed({ ...revealed, [which]: !revealed[which] })}
              />
              <IconButton
                icon={copyIcon}
                label={trans.__('Copy the %1 key', label)}
                title={trans.__('Copy')}
                disabled={!key}
                onClick={() => key && host.copy(key, trans.__('The %1 key of %2', label, endpoint.name))}
              />
              <IconButton
                icon={refreshIcon}
                label={trans.__('Regenerate the %1 key', label)}
                title={trans.__('Regenerate (the old key stops working)')}
                onClick={() => actions.regenerateKey(model, which)}
              />
            </div>
          );
        })}
    </DetailSection>
  );
}

/** Copy a share of the endpoint's requests to a deployment (answers dropped), or stop. */
function MirrorTraffic(props: IViewProps & { endpoint: Endpoint }): JSX.Element {
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
    <DetailSection title={trans.__('Mirror traffic')} className="jp-mlservice-mirror">
      <div className="jp-mlservice-mirror-current" data-mirror={JSON.stringify(mirror)}>
        {current
          ? trans.__(
              'Copies %1; callers get their answers from the live deployments only.',
              Object.entries(mirror)
                .map(([name, pct]) => trans.__('%1% of requests to %2', pct, name))
                .join(trans.__(' and '))
            )
          : trans.__('Off. Copy a share of live requests to a deployment to try it on real traffic; its answers are dropped.')}
      </div>
      <div className="jp-mlservice-filters">
        <HTMLSelect
          aria-label={trans.__('Mirror to deployment')}
          className="jp-mlservice-mirror-deployment"
          value={form.deployment}
          onChange={e => change({ deployment: e.currentTarget.value })}
          options={model.deployments.map(d => {
            const live = endpoint.traffic?.[d.name] ?? 0;
            return { label: live ? trans.__('%1 (live %2%)', d.name, live) : d.name, value: d.name };
          })}
        />
        <input
          type="number"
          className="jp-mlservice-input jp-mlservice-mirror-percent"
          min={0}
          max={MAX_MIRROR_PERCENT}
          aria-label={trans.__('Percent of requests to mirror')}
          value={form.percent}
          onChange={e => change({ percent: e.currentTarget.value })}
        />
        <span aria-hidden="true">%</span>
        <Button small className="jp-mlservice-mirror-apply" disabled={busy} onClick={apply}>
          {trans.__('Set mirror')}
        </Button>
        {current && (
          <Button minimal small className="jp-mlservice-mirror-clear" disabled={busy} onClick={() => void send({})}>
            {trans.__('Stop mirroring')}
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
    </DetailSection>
  );
}

const PATHS = ['/invocations', '/score'];

function TestRequest(props: IViewProps & { endpoint: Endpoint }): JSX.Element {
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
    <DetailSection title={trans.__('Test request')} className="jp-mlservice-test">
      <div className="jp-mlservice-filters">
        <input
          className="jp-mlservice-input jp-mlservice-test-path"
          aria-label={trans.__('Path')}
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
          aria-label={trans.__('Send to')}
          className="jp-mlservice-test-deployment"
          value={target}
          onChange={e => setTarget(e.currentTarget.value)}
          options={[{ label: trans.__('by traffic'), value: '' }, ...model.deployments.map(d => ({ label: d.name, value: d.name }))]}
        />
      </div>
      <textarea
        className="jp-mlservice-input jp-mlservice-code jp-mlservice-test-payload"
        aria-label={trans.__('Request body (JSON)')}
        rows={4}
        value={payload}
        onChange={e => setPayload(e.currentTarget.value)}
      />
      <Button small className="jp-mlservice-test-send" disabled={model.invoking} onClick={() => void send()}>
        {model.invoking ? trans.__('Sending…') : trans.__('Send')}
      </Button>
      {problem && (
        <div className="jp-mlservice-error" role="alert">
          {problem}
        </div>
      )}
      {response && <TestResponse response={response} />}
    </DetailSection>
  );
}

export function TestResponse(props: { response: InvokeResponse }): JSX.Element {
  const { response } = props;
  const ok = response.status >= 200 && response.status < 300;
  const body = typeof response.body === 'string' ? response.body : JSON.stringify(response.body, null, 2);
  return (
    <div className="jp-mlservice-test-response" data-status-code={response.status}>
      <div className="jp-mlservice-item-meta">
        <span className={`jp-mlservice-status jp-mlservice-status-${ok ? 'completed' : 'failed'}`}>{response.status}</span>
        {response.deployment && <span>{trans.__('from %1', response.deployment)}</span>}
        <span>{trans.__('%1 ms', formatMs(response.latency_ms))}</span>
      </div>
      <pre className="jp-mlservice-test-body">{body}</pre>
    </div>
  );
}

/** A deployment's log, followed while it grows. */
export function DeploymentLogView(props: { model: DeploymentLogsModel; host: IDetailHost }): JSX.Element {
  const model = useModel(props.model);
  return (
    <DetailFrame
      host={props.host}
      kind={trans.__('Deployment log')}
      title={`${model.endpoint}/${model.deployment}`}
      className="jp-mlservice-deployment-log"
      model={model}
    >
      <LogViewer text={model.text} complete={model.complete} />
    </DetailFrame>
  );
}
