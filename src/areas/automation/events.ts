/**
 * The server's automation events (server/events/{trigger,evaluation,rollout}.yaml), declared here
 * so that the Automation area and the model version view (evaluations, promotions) both hear them.
 */
import { addEventKind } from '../../models/events';

export interface ITriggerEvent {
  name: string;
  action: 'created' | 'updated' | 'deleted' | 'fired';
  firing_id?: number | null;
  status?: string | null;
}

export interface IEvaluationEvent {
  id: string;
  candidate?: string | null;
  status: 'Running' | 'Completed' | 'Failed';
  passed?: boolean | null;
}

export interface IRolloutEvent {
  id: string;
  endpoint?: string | null;
  action: 'started' | 'approved' | 'updated';
  state?: string | null;
}

declare module '../../models/events' {
  interface IServiceEventMap {
    trigger: ITriggerEvent;
    evaluation: IEvaluationEvent;
    rollout: IRolloutEvent;
  }
}

addEventKind('trigger', 'name');
addEventKind('evaluation', 'id');
addEventKind('rollout', 'id');
