/**
 * The Models and Endpoints sections of the ML Service sidebar: the model
 * registry (versions, aliases, lineage, "Deploy") and real-time endpoints
 * (deployments with health, traffic, keys, live figures, test requests).
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import {
  Clipboard,
  ICommandPalette,
  InputDialog,
  MainAreaWidget,
  Notification
} from '@jupyterlab/apputils';
import { CommandToolbarButton, ReactWidget, addIcon, refreshIcon } from '@jupyterlab/ui-components';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import * as React from 'react';

import * as api from './api/client';
import type { ModelVersion } from './api/client';
import { EndpointsSection } from './components/EndpointsSection';
import { LogViewer } from './components/LogViewer';
import { ModelsSection } from './components/ModelsSection';
import {
  DeployForm,
  DeploymentEditForm,
  EndpointForm,
  IJobChoice,
  RegisterForm
} from './components/ServingForms';
import { useModel } from './components/useModel';
import { confirm, formDialog } from './dialogs';
import { mlserviceIcon } from './icons';
import { attempt, notifyError, notifyModelErrors } from './notify';
import {
  DeployFormErrors,
  DeploymentEditErrors,
  DeploymentLogsModel,
  EndpointFormErrors,
  EndpointsModel,
  IDeployForm,
  IDeployPlan,
  IDeploymentEditForm,
  IEndpointForm,
  initialDeployForm,
  initialDeploymentEditForm,
  validateDeployForm,
  validateDeploymentEditForm,
  validateEndpointForm
} from './models/endpoints';
import {
  IRegisterForm,
  RegisterFormErrors,
  RegistryModel,
  aliasError,
  initialRegisterForm,
  validateRegisterForm,
  versionRef
} from './models/registry';
import { CommandIDs, IMLServiceSidebar, PALETTE_CATEGORY, SIDEBAR_ID } from './tokens';

/** Commands of the Models and Endpoints sections (all in the palette). */
export namespace ServingCommandIDs {
  export const refresh = 'mlservice:refresh-models-endpoints';
  export const registerModel = 'mlservice:register-model';
  export const setModelAlias = 'mlservice:set-model-alias';
  export const deployModel = 'mlservice:deploy-model';
  export const createEndpoint = 'mlservice:create-endpoint';
  export const deleteEndpoint = 'mlservice:delete-endpoint';
  export const deleteDeployment = 'mlservice:delete-deployment';
  export const editDeployment = 'mlservice:edit-deployment';
  export const openDeploymentLogs = 'mlservice:open-deployment-logs';
}

export const MODELS_SECTION_ID = 'jp-mlservice-models';
export const ENDPOINTS_SECTION_ID = 'jp-mlservice-endpoints';


/** A deployment's log in the main area; its poll stops when closed. */
function DeploymentLog(props: { model: DeploymentLogsModel }): JSX.Element {
  const model = useModel(props.model);
  return (
    <div className="jp-mlservice-deployment-log">
      {model.error && <div className="jp-mlservice-error">{model.error}</div>}
      <LogViewer text={model.text} complete={model.complete} />
    </div>
  );
}

export const servingPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter_mlservice:serving',
  description: 'ML Service sidebar: model registry and real-time endpoints.',
  autoStart: true,
  requires: [IMLServiceSidebar],
  optional: [ICommandPalette],
  activate: (app: JupyterFrontEnd, sidebar: IMLServiceSidebar, palette: ICommandPalette | null) => {
    const { commands, shell } = app;
    const registry = new RegistryModel();
    const endpoints = new EndpointsModel();
    notifyModelErrors(registry, 'Models');
    notifyModelErrors(endpoints, 'Endpoints');
    endpoints.notices.connect((_, notice) => {
      if (notice.kind === 'routed' || notice.kind === 'updated') {
        Notification.success(notice.message, { autoClose: 5000 });
      } else {
        Notification.error(notice.message, {
          autoClose: 10000,
          actions: [
            {
              label: 'Logs',
              callback: () =>
                void commands.execute(ServingCommandIDs.openDeploymentLogs, {
                  endpoint: notice.endpoint,
                  name: notice.deployment
                })
            }
          ]
        });
      }
    });

    /** A name from the args, or picked from a list. */
    const pick = async (given: unknown, title: string, items: string[]): Promise<string | null> => {
      if (given) {
        return String(given);
      }
      if (items.length === 0) {
        Notification.info(`Nothing to choose from for "${title}".`);
        return null;
      }
      const answer = await InputDialog.getItem({ title, items });
      return answer.button.accept && answer.value ? answer.value : null;
    };

    /** An endpoint and one of its deployments, from the args or picked from lists. */
    const pickDeployment = async (args: ReadonlyPartialJSONObject) => {
      const endpoint = await pick(args.endpoint, 'Endpoint', endpoints.items.map(e => e.name));
      if (!endpoint) {
        return null;
      }
      const item = endpoints.items.find(e => e.name === endpoint);
      const name = await pick(args.name, `Deployment of ${endpoint}`, [...(item?.deployments ?? [])]);
      return name ? { endpoint, name, item } : null;
    };

    commands.addCommand(ServingCommandIDs.refresh, {
      label: args => (args.toolbar ? '' : 'Refresh Models and Endpoints'),
      caption: 'Refresh registered models and endpoints',
      icon: args => (args.toolbar ? refreshIcon : undefined),
      execute: () => Promise.all([registry.refresh(), endpoints.refresh()])
    });

    commands.addCommand(ServingCommandIDs.registerModel, {
      label: args => (args.toolbar ? '' : 'Register Model…'),
      caption: 'Register a model version from a job, a run or a path on the server',
      icon: args => (args.toolbar ? addIcon : undefined),
      execute: async args => {
        const page = await attempt('List completed jobs', () =>
          api.listJobs({ status: 'Completed', limit: 50 })
        );
        const jobs: IJobChoice[] = (page?.items ?? []).map(job => ({
          id: job.id,
          label: `${job.display_name || job.id.slice(0, 8)} · ${job.experiment} · ${job.id.slice(0, 8)}`
        }));
        const initial = initialRegisterForm(jobs.map(j => j.id));
        if (args.jobId) {
          initial.job = String(args.jobId);
        }
        if (args.name) {
          initial.name = String(args.name);
        }
        const body = await formDialog<IRegisterForm, RegisterFormErrors, api.ModelRegister>({
          title: 'Register model',
          okLabel: 'Register',
          initial,
          validate: value => {
            const checked = validateRegisterForm(value);
            return { result: checked.body as api.ModelRegister | undefined, errors: checked.errors };
          },
          render: (value, errors, onChange) => (
            <RegisterForm value={value} errors={errors} onChange={onChange} jobs={jobs} />
          )
        });
        if (!body) {
          return;
        }
        const created = await attempt('Register model', () => registry.register(body));
        if (created) {
          Notification.success(`Registered ${versionRef(created)}.`, {
            autoClose: 4000,
            actions: [
              {
                label: 'Deploy',
                callback: () =>
                  void commands.execute(ServingCommandIDs.deployModel, {
                    name: created.name,
                    version: created.version
                  })
              }
            ]
          });
        }
        return created;
      }
    });

    commands.addCommand(ServingCommandIDs.setModelAlias, {
      label: 'Set Model Alias…',
      execute: async args => {
        const name = await pick(args.name, 'Model', registry.items.map(m => m.name));
        if (!name) {
          return;
        }
        let version = args.version ? String(args.version) : null;
        if (!version) {
          const detail = await attempt('Read model', () => api.getModel(name));
          version = await pick(null, `Version of ${name}`, (detail?.versions ?? []).map(v => v.version));
        }
        if (!version) {
          return;
        }
        const answer = await InputDialog.getText({
          title: `Alias for ${name}:${version}`,
          placeholder: 'champion',
          text: args.alias ? String(args.alias) : ''
        });
        const alias = answer.value?.trim();
        if (!answer.button.accept || !alias) {
          return;
        }
        const problem = aliasError(alias);
        if (problem) {
          Notification.warning(problem, { autoClose: 6000 });
          return;
        }
        return attempt(`Set alias ${alias}`, () => registry.setAlias(name, alias, version!));
      }
    });

    commands.addCommand(ServingCommandIDs.deployModel, {
      label: 'Deploy Model…',
      caption: 'Deploy a model version to a real-time endpoint',
      execute: async args => {
        let ref = args.model ? String(args.model) : null;
        if (!ref && args.name) {
          ref = args.version ? `${args.name}:${args.version}` : String(args.name);
        }
        if (!ref) {
          const name = await pick(null, 'Deploy model', registry.items.map(m => m.name));
          if (!name) {
            return;
          }
          const latest = registry.items.find(m => m.name === name)?.latest_version;
          ref = latest ? `${name}:${latest}` : name;
        }
        await attempt('Load endpoints', () => endpoints.refresh());
        const known = [...endpoints.items];
        const initial = initialDeployForm(ref, known);
        if (args.endpoint) {
          initial.endpoint = String(args.endpoint);
        }
        const plan = await formDialog<IDeployForm, DeployFormErrors, IDeployPlan>({
          title: `Deploy ${ref}`,
          okLabel: 'Deploy',
          initial,
          validate: value => {
            const checked = validateDeployForm(value, known);
            return { result: checked.plan, errors: checked.errors };
          },
          render: (value, errors, onChange) => (
            <DeployForm value={value} errors={errors} onChange={onChange} endpoints={known} />
          )
        });
        if (!plan) {
          return;
        }
        const deployment = await attempt('Deploy', () => endpoints.deploy(plan));
        if (deployment) {
          Notification.info(
            `Deploying ${plan.deployment.model} as "${deployment.name}" on "${plan.endpoint}" (${deployment.status})…`,
            { autoClose: 4000 }
          );
          shell.activateById(SIDEBAR_ID);
        }
        return deployment;
      }
    });

    commands.addCommand(ServingCommandIDs.createEndpoint, {
      label: args => (args.toolbar ? '' : 'Create Endpoint…'),
      caption: 'Create a real-time endpoint',
      icon: args => (args.toolbar ? addIcon : undefined),
      execute: async () => {
        const names = endpoints.items.map(e => e.name);
        const body = await formDialog<IEndpointForm, EndpointFormErrors, api.EndpointCreate>({
          title: 'Create endpoint',
          okLabel: 'Create',
          initial: { name: '', authMode: 'key', description: '' },
          validate: value => {
            const checked = validateEndpointForm(value, names);
            return { result: checked.body, errors: checked.errors };
          },
          render: (value, errors, onChange) => <EndpointForm value={value} errors={errors} onChange={onChange} />
        });
        if (body) {
          return attempt('Create endpoint', () => endpoints.create(body));
        }
      }
    });

    commands.addCommand(ServingCommandIDs.deleteEndpoint, {
      label: 'Delete Endpoint…',
      execute: async args => {
        const name = await pick(args.name, 'Delete endpoint', endpoints.items.map(e => e.name));
        if (!name) {
          return;
        }
        const ok = await confirm(
          'Delete endpoint',
          `Delete the endpoint "${name}" and all its deployments? Callers get errors from then on.`,
          'Delete'
        );
        if (ok) {
          await attempt(`Delete endpoint "${name}"`, () => endpoints.remove(name));
        }
      }
    });

    commands.addCommand(ServingCommandIDs.deleteDeployment, {
      label: 'Delete Deployment…',
      execute: async args => {
        const picked = await pickDeployment(args);
        if (!picked) {
          return;
        }
        const { endpoint, name, item } = picked;
        const share = item?.traffic?.[name] ?? 0;
        const ok = await confirm(
          'Delete deployment',
          share > 0
            ? `"${name}" still takes ${share}% of the traffic of "${endpoint}": shift it to another deployment first, or the server refuses.`
            : `Delete the deployment "${name}" of "${endpoint}"?`,
          'Delete'
        );
        if (ok) {
          await attempt(`Delete deployment "${name}"`, () => endpoints.deleteDeployment(endpoint, name));
        }
      }
    });

    commands.addCommand(ServingCommandIDs.editDeployment, {
      label: 'Edit Deployment…',
      caption: 'Change a deployment: model, replicas, request settings, environment variables',
      execute: async args => {
        const picked = await pickDeployment(args);
        if (!picked) {
          return;
        }
        const { endpoint, name } = picked;
        const current = await attempt('Read deployment', () => api.getDeployment(endpoint, name));
        if (!current) {
          return;
        }
        let value = initialDeploymentEditForm(current);
        let refused: DeploymentEditErrors | undefined;
        for (;;) {
          const checked = await formDialog<
            IDeploymentEditForm,
            DeploymentEditErrors,
            { form: IDeploymentEditForm; body: api.DeploymentUpdate }
          >({
            title: `Edit deployment ${endpoint}/${name}`,
            okLabel: 'Update',
            initial: value,
            initialErrors: refused,
            validate: form => {
              const result = validateDeploymentEditForm(form, current);
              return { result: result.body && { form, body: result.body }, errors: result.errors };
            },
            render: (form, errors, onChange) => (
              <DeploymentEditForm value={form} errors={errors} onChange={onChange} />
            )
          });
          if (!checked) {
            return;
          }
          try {
            const updated = await endpoints.updateDeployment(endpoint, name, checked.body);
            Notification.info(`Updating "${name}" of "${endpoint}" (${updated.status})…`, { autoClose: 4000 });
            return updated;
          } catch (error) {
            const status = (error as api.MLServiceError).status;
            if (!status || status >= 500) {
              notifyError(error, `Update deployment "${name}"`);
              return;
            }
            // The server refused it (unknown model version...): show why in the form, keep the edits.
            value = checked.form;
            refused = { form: (error as Error).message };
          }
        }
      }
    });

    commands.addCommand(ServingCommandIDs.openDeploymentLogs, {
      label: 'Open Deployment Logs…',
      execute: async args => {
        const picked = await pickDeployment(args);
        if (!picked) {
          return;
        }
        const { endpoint, name } = picked;
        const id = `jp-mlservice-deployment-log-${endpoint}-${name}`;
        if ([...shell.widgets('main')].some(w => w.id === id)) {
          shell.activateById(id);
          return;
        }
        const model = new DeploymentLogsModel({ endpoint, deployment: name });
        const widget = new MainAreaWidget({ content: ReactWidget.create(<DeploymentLog model={model} />) });
        widget.id = id;
        widget.title.label = `Logs ${endpoint}/${name}`;
        widget.title.icon = mlserviceIcon;
        widget.title.closable = true;
        widget.disposed.connect(() => model.dispose());
        shell.add(widget, 'main');
        shell.activateById(widget.id);
      }
    });

    // ---- sidebar sections --------------------------------------------------------------
    const toolbarButton = (id: string) =>
      new CommandToolbarButton({ commands, id, args: { toolbar: true } });

    const copy = (text: string, what: string) => {
      Clipboard.copyToSystem(text);
      Notification.info(`${what} copied to the clipboard.`, { autoClose: 2000 });
    };

    sidebar.addSection({
      id: MODELS_SECTION_ID,
      label: 'Models',
      rank: 400,
      widget: ReactWidget.create(
        <ModelsSection
          model={registry}
          onRegister={() => void commands.execute(ServingCommandIDs.registerModel)}
          onDeploy={(version: ModelVersion) =>
            void commands.execute(ServingCommandIDs.deployModel, {
              name: version.name,
              version: version.version
            })
          }
          onAddAlias={(version: ModelVersion) =>
            void commands.execute(ServingCommandIDs.setModelAlias, {
              name: version.name,
              version: version.version
            })
          }
          onRemoveAlias={(name, alias) =>
            void attempt(`Remove alias ${alias}`, () => registry.removeAlias(name, alias))
          }
          onOpenJob={id => void commands.execute(CommandIDs.openJob, { id })}
        />
      ),
      toolbar: [
        { name: 'register-model', widget: toolbarButton(ServingCommandIDs.registerModel) },
        { name: 'refresh', widget: toolbarButton(ServingCommandIDs.refresh) }
      ]
    });
    sidebar.addSection({
      id: ENDPOINTS_SECTION_ID,
      label: 'Endpoints',
      rank: 500,
      widget: ReactWidget.create(
        <EndpointsSection
          model={endpoints}
          onCreate={() => void commands.execute(ServingCommandIDs.createEndpoint)}
          onDelete={name => void commands.execute(ServingCommandIDs.deleteEndpoint, { name })}
          onDeleteDeployment={(endpoint, name) =>
            void commands.execute(ServingCommandIDs.deleteDeployment, { endpoint, name })
          }
          onEditDeployment={(endpoint, name) =>
            void commands.execute(ServingCommandIDs.editDeployment, { endpoint, name })
          }
          onOpenLogs={(endpoint, name) =>
            void commands.execute(ServingCommandIDs.openDeploymentLogs, { endpoint, name })
          }
          onRegenerateKey={async (endpoint, which) => {
            const ok = await confirm(
              'Regenerate key',
              `Regenerate the ${which} key of "${endpoint}"? Callers using the old key get 401 from then on.`,
              'Regenerate'
            );
            if (ok) {
              await attempt('Regenerate key', () => endpoints.regenerateKey(which));
            }
          }}
          onCopy={copy}
          onError={notifyError}
        />
      ),
      toolbar: [
        { name: 'create-endpoint', widget: toolbarButton(ServingCommandIDs.createEndpoint) },
        { name: 'refresh', widget: toolbarButton(ServingCommandIDs.refresh) }
      ]
    });

    if (palette) {
      for (const command of Object.values(ServingCommandIDs)) {
        palette.addItem({ command, category: PALETTE_CATEGORY });
      }
    }
  }
};
