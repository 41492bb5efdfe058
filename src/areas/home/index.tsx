import type { ILauncher } from '@jupyterlab/launcher';
import { homeIcon, notebookIcon } from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';
import * as React from 'react';

import { useModel } from '../../components/useModel';
import { CommandIDs } from '../../tokens';
import { trans } from '../../translate';
import { IAreaContext, addCommand, watchModel } from '../context';
import { EndpointHealthModel } from '../endpoints/model';
import type { JobsModel } from '../jobs/model';
import { HomeModel, ITutorial, findTutorials } from './model';
import { HomeView, IHomeProps } from './view';

/** The Launcher's section of the ML Service cards. */
const LAUNCHER_CATEGORY = 'ML Service';

/** The tutorials found, and a signal when they are (Home re-renders). */
class Tutorials {
  items: ReadonlyArray<ITutorial> = [];
  readonly changed: ISignal<this, void> = new Signal<this, void>(this);
  set(items: ReadonlyArray<ITutorial>): void {
    this.items = items;
    (this.changed as Signal<this, void>).emit();
  }
}

/** Home, drawn again once the tutorials are found. */
function HomePage(props: Omit<IHomeProps, 'tutorials'> & { tutorials: Tutorials }): JSX.Element {
  const tutorials = useModel(props.tutorials);
  return <HomeView {...props} tutorials={tutorials.items} />;
}

/**
 * Home: counts and health at a glance, "Start here" with the tutorials in
 * order; the Launcher's ML Studio card and one card per tutorial.
 */
export function activateHome(context: IAreaContext, jobs: JobsModel, launcher: ILauncher | null): void {
  const { studio, app } = context;
  const model = watchModel(new HomeModel({ events: studio.events, auto: false }), trans.__('Home'));
  const endpoints = watchModel(new EndpointHealthModel({ events: studio.events, auto: false }), trans.__('Endpoints'));
  const tutorials = new Tutorials();

  addCommand(context, CommandIDs.openTutorial, {
    label: args => String(args.title ?? args.path ?? trans.__('Open Tutorial…')),
    caption: args => trans.__('Open the tutorial notebook %1', String(args.path ?? '')),
    icon: notebookIcon,
    execute: async args => {
      const path = args.path ? String(args.path) : tutorials.items[0]?.path;
      if (path) {
        return app.commands.execute('docmanager:open', { path });
      }
    }
  });

  const openTutorial = (path: string) => void app.commands.execute(CommandIDs.openTutorial, { path });
  studio.addArea({
    id: 'home',
    label: trans.__('Home'),
    rank: 0,
    icon: homeIcon,
    page: host => (
      <HomePage
        model={model}
        endpoints={endpoints}
        tutorials={tutorials}
        host={host}
        onOpenTutorial={openTutorial}
        onJobs={status => {
          void jobs.setFilter({ status });
          host.open('jobs');
        }}
      />
    )
  });

  if (launcher) {
    launcher.add({ command: CommandIDs.openStudio, category: LAUNCHER_CATEGORY, rank: 0 });
  }
  const load = async () => {
    const found = await findTutorials(app.serviceManager.contents, studio.settings.tutorials);
    const known = new Set(tutorials.items.map(t => t.path));
    tutorials.set(found);
    found.forEach((tutorial, index) => {
      if (launcher && !known.has(tutorial.path)) {
        launcher.add({
          command: CommandIDs.openTutorial,
          args: { path: tutorial.path, title: trans.__('%1. %2', index + 1, tutorial.title) },
          category: LAUNCHER_CATEGORY,
          rank: index + 1
        });
      }
    });
  };
  void app.serviceManager.ready.then(load).catch(() => undefined);
  studio.settings.changed.connect(() => void load().catch(() => undefined));
}
