/**
 * The Automation area's commands: enable, disable, fire now and delete triggers; approve and
 * abort rollouts. Each takes a name (`name`), several (`names`, a list's selection) or asks.
 */
import { Notification } from '@jupyterlab/apputils';

import type * as api from '../../api/client';
import { confirm, pickName } from '../../dialogs';
import { attempt } from '../../notify';
import { trans } from '../../translate';
import { IAreaContext, addCommand, deleteEach, namesOf, namesToActOn, quoted } from '../context';
import { canAbort, canApprove } from './forms';
import { RolloutsModel, TriggersModel } from './model';

export namespace AutomationCommandIDs {
  export const enableTrigger = 'mlservice:enable-trigger';
  export const disableTrigger = 'mlservice:disable-trigger';
  export const fireTrigger = 'mlservice:fire-trigger';
  export const deleteTrigger = 'mlservice:delete-trigger';
  export const approveRollout = 'mlservice:approve-rollout';
  export const abortRollout = 'mlservice:abort-rollout';
}

export function addAutomationCommands(context: IAreaContext, triggers: TriggersModel, rollouts: RolloutsModel): void {
  const { studio } = context;
  const pick = (args: Record<string, any>, title: string) => namesToActOn(args, title, () => triggers.names());

  for (const [id, enabled] of [
    [AutomationCommandIDs.enableTrigger, true],
    [AutomationCommandIDs.disableTrigger, false]
  ] as const) {
    addCommand(context, id, {
      label: enabled ? trans.__('Enable Trigger…') : trans.__('Disable Trigger…'),
      caption: enabled
        ? trans.__('Watch again: causes from now on fire (what exists now does not)')
        : trans.__('Stop firing; the trigger and its firings stay'),
      execute: async args => {
        for (const name of await pick(args, enabled ? trans.__('Enable trigger') : trans.__('Disable trigger'))) {
          await attempt(enabled ? trans.__('Enable "%1"', name) : trans.__('Disable "%1"', name), () => triggers.setEnabled(name, enabled));
        }
        triggers.clearSelection();
      }
    });
  }

  addCommand(context, AutomationCommandIDs.fireTrigger, {
    label: trans.__('Fire Trigger Now…'),
    caption: trans.__('Run the trigger\'s job now with the latest cause it watches (enabled or not)'),
    execute: async args => {
      for (const name of await pick(args, trans.__('Fire trigger'))) {
        const firing = await attempt(trans.__('Fire "%1"', name), () => triggers.fire(name));
        if (firing?.job_id) {
          const job = firing.job_id;
          Notification.success(trans.__('"%1" fired: job %2.', name, job), {
            autoClose: 4000,
            actions: [{ label: trans.__('Open'), callback: () => void studio.open(`jobs/${encodeURIComponent(job)}`) }]
          });
        } else if (firing) {
          Notification.warning(trans.__('"%1" fired but started no job: %2', name, firing.reason ?? firing.state), { autoClose: 6000 });
        }
      }
    }
  });

  addCommand(context, AutomationCommandIDs.deleteTrigger, {
    label: trans.__('Delete Trigger…'),
    execute: async args => {
      const names = await pick(args, trans.__('Delete trigger'));
      await deleteEach({
        names,
        title: trans._n('Delete trigger', 'Delete triggers', names.length),
        question: trans._n(
          'Delete the trigger %2 and its firings? Jobs it started keep their records.',
          'Delete the %1 triggers %2 and their firings? Jobs they started keep their records.',
          names.length,
          quoted(names)
        ),
        what: name => trans.__('Delete "%1"', name),
        remove: name => triggers.remove(name),
        list: triggers
      });
    }
  });

  /** Rollout ids from the args, or one picked among those the action applies to. */
  const pickRollouts = async (args: Record<string, any>, title: string, applies: (r: api.Rollout) => boolean) => {
    const given = namesOf({ ...args, name: args.id ?? args.name, names: args.ids ?? args.names });
    if (given.length > 0) {
      return given;
    }
    const choices = (await attempt(title, () => rollouts.ids(applies))) ?? [];
    const id = await pickName(null, title, choices);
    return id ? [id] : [];
  };

  addCommand(context, AutomationCommandIDs.approveRollout, {
    label: trans.__('Approve Rollout…'),
    caption: trans.__('Let a rollout waiting for approval give the candidate all traffic'),
    execute: async args => {
      for (const id of await pickRollouts(args, trans.__('Approve rollout'), canApprove)) {
        await attempt(trans.__('Approve %1', id), () => rollouts.approve(id));
      }
    }
  });

  addCommand(context, AutomationCommandIDs.abortRollout, {
    label: trans.__('Abort Rollout…'),
    caption: trans.__('Send all traffic back to the baseline now; the candidate deployment stays at 0%'),
    execute: async args => {
      const ids = await pickRollouts(args, trans.__('Abort rollout'), canAbort);
      if (
        ids.length === 0 ||
        !(await confirm(
          trans._n('Abort rollout', 'Abort rollouts', ids.length),
          trans._n(
            'Abort the rollout %2? All traffic goes back to the baseline now.',
            'Abort the %1 rollouts %2? All traffic goes back to each baseline now.',
            ids.length,
            quoted(ids)
          ),
          trans.__('Abort')
        ))
      ) {
        return;
      }
      for (const id of ids) {
        await attempt(trans.__('Abort %1', id), () => rollouts.abort(id));
      }
      rollouts.clearSelection();
    }
  });
}
