import { ISignal } from '@lumino/signaling';
import { useEffect, useReducer } from 'react';

/** Re-render a component whenever `model.changed` fires. */
export function useModel<T extends { changed: ISignal<any, any> }>(model: T): T {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    const slot = () => bump();
    model.changed.connect(slot);
    return () => {
      model.changed.disconnect(slot);
    };
  }, [model]);
  return model;
}

/**
 * `useModel` for a polled model shown here: it starts polling when first shown
 * (models made ahead of time with `auto: false` read nothing until then).
 */
export function useActiveModel<T extends { changed: ISignal<any, any>; activate(): void }>(model: T): T {
  useEffect(() => {
    model.activate();
  }, [model]);
  return useModel(model);
}
