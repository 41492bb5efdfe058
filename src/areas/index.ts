/**
 * The built-in areas of the ML Studio, registered in one place. A new area is a folder
 * `src/areas/<area>/` and one line below (see README.md in this folder for the recipe).
 */
import type { ILauncher } from '@jupyterlab/launcher';

import { activateAutomation } from './automation';
import { activateCompare } from './compare';
import { activateCompute } from './compute';
import type { IAreaContext } from './context';
import { activateData } from './data';
import { activateEndpoints } from './endpoints';
import { activateEnvironments } from './environments';
import { activateExperiments } from './experiments';
import { activateHome } from './home';
import { activateJobs } from './jobs';
import type { IJobServices } from './jobs/commands';
import { activateModels } from './models';
import { activateMonitoring } from './monitoring';
import { activatePipelines } from './pipelines';
import { activateSchedules } from './schedules';
import { activateSweeps } from './sweeps';

/** What JupyterLab lends the areas: what jobs open notebooks and outputs with, the Launcher (each may be absent). */
export interface IAreaServices extends IJobServices {
  launcher: ILauncher | null;
}

/** Register every built-in area with the studio (the nav orders them by rank, not by this order). */
export function activateAreas(context: IAreaContext, services: IAreaServices): void {
  const targets = activateCompute(context);
  // The Jobs list's target filter offers every target's name.
  const targetNames = () => {
    targets.activate();
    return targets.names;
  };
  const jobs = activateJobs(context, services, targetNames);
  activateHome(context, jobs, services.launcher);
  activateExperiments(context);
  activateCompare(context);
  activateModels(context);
  activateEndpoints(context);
  activateSchedules(context, services.notebooks);
  activateData(context, services.browsers);
  activateEnvironments(context);
  activateSweeps(context);
  activateMonitoring(context);
  activatePipelines(context, services.browsers);
  activateAutomation(context);
  // A new area: activate<Area>(context);
}
