import { LabIcon } from '@jupyterlab/ui-components';

import mlserviceSvg from '../style/icons/mlservice.svg';

export const mlserviceIcon = new LabIcon({
  name: 'jupyter-mlservice:mlservice',
  svgstr: mlserviceSvg
});
