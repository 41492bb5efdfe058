import { offlineBoltIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { trans } from '../../translate';
import { IAreaContext, watchModel } from '../context';
import { AutomationCommandIDs, addAutomationCommands } from './commands';
import { RolloutDetailModel, RolloutsModel, TriggerDetailModel, TriggersModel } from './model';
import { AutomationPage, IAutomationActions, RolloutView, TriggerView } from './view';

/**
 * The Automation area: triggers (a job when data, a model, an alias, a tag, an alert or a cron
 * slot changes) and progressive rollouts (a model version taking an endpoint's traffic step by
 * step), each a tab; `automation/triggers/<name>` and `automation/rollouts/<id>` open their views.
 */
export function activateAutomation(context: IAreaContext): { triggers: TriggersModel; rollouts: RolloutsModel } {
  const { studio, app } = context;
  const triggers = watchModel(new TriggersModel({ events: studio.events, auto: false }), trans.__('Triggers'));
  const rollouts = watchModel(new RolloutsModel({ events: studio.events, auto: false }), trans.__('Rollouts'));
  addAutomationCommands(context, triggers, rollouts);
  const run = (id: string, args: Record<string, any>) => void app.commands.execute(id, args);
  const actions: IAutomationActions = {
    setEnabled: (names, enabled) => run(enabled ? AutomationCommandIDs.enableTrigger : AutomationCommandIDs.disableTrigger, { names }),
    fire: names => run(AutomationCommandIDs.fireTrigger, { names }),
    removeTriggers: names => run(AutomationCommandIDs.deleteTrigger, { names }),
    approve: id => run(AutomationCommandIDs.approveRollout, { id }),
    abort: ids => run(AutomationCommandIDs.abortRollout, { ids })
  };
  const caption = trans.__('Triggers that run a job when something changes, and rollouts that move an endpoint to a new model version step by step.');
  studio.addArea({
    id: 'automation',
    label: trans.__('Automation'),
    rank: 550,
    icon: offlineBoltIcon,
    caption,
    page: (host, path) => <AutomationPage triggers={triggers} rollouts={rollouts} actions={actions} host={host} path={path} caption={caption} />,
    detail: path => {
      if (path.length !== 2) {
        return null;
      }
      const [kind, key] = path;
      if (kind === 'triggers') {
        const detail = new TriggerDetailModel({ trigger: key, events: studio.events });
        return {
          label: trans.__('Trigger %1', key),
          render: host => <TriggerView model={detail} actions={actions} host={host} />,
          dispose: () => detail.dispose()
        };
      }
      if (kind === 'rollouts') {
        const detail = new RolloutDetailModel({ rollout: key, events: studio.events });
        return {
          label: trans.__('Rollout %1', key),
          render: host => <RolloutView model={detail} actions={actions} host={host} />,
          dispose: () => detail.dispose()
        };
      }
      return null;
    }
  });
  return { triggers, rollouts };
}
