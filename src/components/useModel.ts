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
