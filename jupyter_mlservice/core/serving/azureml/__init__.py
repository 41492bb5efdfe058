"""Azure ML's ``azureml.contrib.services`` modules for raw-HTTP scoring scripts, without the Azure SDK.

Azure's inference server makes ``from azureml.contrib.services.aml_request import AMLRequest, rawhttp``
and ``from azureml.contrib.services.aml_response import AMLResponse`` importable for scoring
scripts; :func:`install` does the same before a script is imported (unless a real ``azureml``
package provides them).
"""

from __future__ import annotations

import importlib.util
import sys
import types


def install() -> None:
    try:
        if importlib.util.find_spec("azureml.contrib.services.aml_request") is not None:
            return
    except (ImportError, ValueError):
        pass
    from . import aml_request, aml_response

    for name in ("azureml", "azureml.contrib", "azureml.contrib.services"):
        if name not in sys.modules:
            module = types.ModuleType(name)
            module.__path__ = []  # a package, so submodules resolve through sys.modules
            sys.modules[name] = module
    sys.modules["azureml.contrib.services.aml_request"] = aml_request
    sys.modules["azureml.contrib.services.aml_response"] = aml_response
    services = sys.modules["azureml.contrib.services"]
    services.aml_request, services.aml_response = aml_request, aml_response
