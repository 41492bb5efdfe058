/**
 * The widget module's name and version, as the Python side (jupyter_mlservice/widgets.py)
 * names them in `_model_module` / `_model_module_version`.
 */
export const MODULE_NAME = 'jupyter_mlservice';
export const MODULE_VERSION = '0.1.0';
