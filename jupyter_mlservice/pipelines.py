"""Write pipelines in Python: ``@component`` functions, ``@pipeline`` graphs, ``Input``/``Output``.

::

    from jupyter_mlservice.pipelines import component, pipeline, Input, Output

    @component
    def prep(raw: Input("folder"), train: Output("folder"), test_size: float = 0.2):
        ...                                     # runs in its own job; raw and train are paths

    train = ml.components.load("components/train.yaml")     # a command component

    @pipeline(default_target="local")
    def retrain(raw, test_size: float = 0.2):
        p = prep(raw=raw, test_size=test_size)
        t = train(data=p.outputs.train).with_target("cluster").with_resources(cpu=2)
        return {"model": t.outputs.model}

    run = ml.pipelines.submit(retrain(raw="data:iris"), experiment="iris")

Nothing here runs anything: calling a ``@pipeline`` function records its steps and returns a
:class:`PipelineJob` (the REST spec and the parameters), which ``ml.pipelines.submit`` sends.
A client module: it never imports the server's code.
"""

from __future__ import annotations

import functools
import inspect
import os
import textwrap
from pathlib import Path
from typing import Any

_SCALARS = {int: "int", float: "float", str: "str", bool: "bool"}
_RECORDING: list[list["StepCall"]] = []


class Input:
    """An input port: ``Input("folder")``, ``Input("file")``, ``Input("data")``, ``Input("model")``, ``Input("int")``..."""

    def __init__(self, type: str = "folder", optional: bool = False, default: Any = None, description: str = ""):
        self.type, self.optional, self.default, self.description = type, optional, default, description

    def spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.optional:
            out["optional"] = True
        if self.default is not None:
            out["default"] = self.default
        if self.description:
            out["description"] = self.description
        return out


class Output:
    """An output port: ``Output("folder")`` or ``Output("file", register_as="iris-features")``."""

    def __init__(self, type: str = "folder", register_as: str | None = None, description: str = ""):
        self.type, self.register_as, self.description = type, register_as, description

    def spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.register_as:
            out["register_as"] = self.register_as
        return out


class OutputRef:
    """``step.outputs.train``: what another step reads."""

    def __init__(self, step: "StepCall", port: str):
        self.step, self.port = step, port

    def binding(self) -> str:
        return f"${{{{parent.jobs.{self.step.name}.outputs.{self.port}}}}}"


class InputRef:
    """A parameter of a ``@pipeline`` function inside its body: ``${{parent.inputs.NAME}}``."""

    def __init__(self, name: str):
        self.name = name

    def binding(self) -> str:
        return f"${{{{parent.inputs.{self.name}}}}}"


class _Outputs:
    def __init__(self, step: "StepCall"):
        self._step = step

    def __getattr__(self, port: str) -> OutputRef:
        if port.startswith("_"):
            raise AttributeError(port)
        if port not in self._step.component.spec.get("outputs", {}):
            raise AttributeError(f"component {self._step.component.name!r} has no output {port!r}")
        return OutputRef(self._step, port)

    def __getitem__(self, port: str) -> OutputRef:
        return self.__getattr__(port)


class StepCall:
    """One use of a component in a ``@pipeline`` function; ``.outputs.NAME`` feeds other steps."""

    def __init__(self, component: "Component", inputs: dict[str, Any]):
        self.component = component
        self.inputs = inputs
        self.name = component.name or "step"
        self.target: str | None = None
        self.resources: dict[str, Any] | None = None
        self.settings: dict[str, Any] = {}
        self.outputs = _Outputs(self)
        if _RECORDING:
            _RECORDING[-1].append(self)

    def with_target(self, target: str) -> "StepCall":
        """Run this step on another compute target. ``train(...).with_target("cluster")``"""
        self.target = target
        return self

    def with_resources(self, **resources: Any) -> "StepCall":
        """CPU/GPU/memory the step's job asks for. ``.with_resources(cpu=2, gpu=1)``"""
        self.resources = resources
        return self

    def with_settings(self, **settings: Any) -> "StepCall":
        """max_retries, timeout_s, force_rerun, display_name. ``.with_settings(max_retries=2)``"""
        self.settings.update(settings)
        return self

    def spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {"component": self.component.reference(), "inputs": {k: _bound(v) for k, v in self.inputs.items()}}
        if self.target:
            out["target"] = self.target
        if self.resources:
            out["resources"] = self.resources
        out.update(self.settings)
        return out


class Component:
    """A component: call it inside a ``@pipeline`` function to add a step."""

    def __init__(self, spec: dict[str, Any], registered: bool = False):
        self.spec = spec
        self.registered = registered

    @property
    def name(self) -> str:
        return self.spec.get("name", "")

    @property
    def version(self) -> int | None:
        return self.spec.get("version")

    def reference(self) -> dict[str, Any] | str:
        if self.registered and self.version is not None:
            return f"{self.name}@{self.version}"
        return {k: v for k, v in self.spec.items() if k not in ("created_at", "digest")}

    def __call__(self, **inputs: Any) -> StepCall:
        return StepCall(self, inputs)

    def __repr__(self) -> str:
        return f"Component({self.name!r}" + (f", version={self.version}" if self.version else "") + ")"


def component(fn=None, *, name: str | None = None, environment: str | None = None, deterministic: bool = True):
    """A Python function as a component; its body runs in its own job (``Input``/``Output``
    parameters arrive as paths, others as values). ``@component def prep(raw: Input("folder"), ...)``"""
    if fn is None:
        return functools.partial(component, name=name, environment=environment, deterministic=deterministic)
    sig = _signature(fn)
    inputs: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    for pname, p in sig.parameters.items():
        ann = p.annotation
        if isinstance(ann, Output):
            outputs[pname] = ann.spec()
        elif isinstance(ann, Input):
            port = ann.spec()
            if p.default is not inspect.Parameter.empty:
                port["default"] = p.default
            inputs[pname] = port
        else:
            port = {"type": _SCALARS.get(ann, "any") if ann is not inspect.Parameter.empty else "any"}
            if isinstance(ann, str):
                port["type"] = ann if ann in ("int", "float", "str", "bool") else "any"
            if p.default is not inspect.Parameter.empty:
                if p.default is None:
                    port["optional"] = True
                else:
                    port["default"] = p.default
            inputs[pname] = port
    source = _function_source(fn, list(sig.parameters))
    spec = {"name": name or fn.__name__, "type": "code", "source": source, "inputs": inputs, "outputs": outputs,
            "deterministic": deterministic}
    if environment:
        spec["environment"] = environment
    comp = Component(spec)
    functools.update_wrapper(comp, fn)
    return comp


def _signature(fn) -> inspect.Signature:
    """Annotations evaluated (a module with ``from __future__ import annotations`` holds them as text)."""
    try:
        return inspect.signature(fn, eval_str=True)
    except Exception:  # noqa: BLE001 - an annotation that cannot be evaluated here: read as untyped
        return inspect.signature(fn)


def _function_source(fn, names: list[str]) -> str:
    """The function's own text (decorators removed) and a call of it with the job's globals."""
    lines = textwrap.dedent(inspect.getsource(fn)).splitlines()
    while lines and lines[0].lstrip().startswith("@"):
        lines.pop(0)
    call = (f"\n_args = {{k: globals()[k] for k in {names!r} if k in globals()}}\n"
            f"{fn.__name__}(**_args)\n")
    # annotations (Input(...)) would need this module in the job: drop them by not evaluating
    return "from __future__ import annotations\n" + "\n".join(lines) + "\n" + call


class PipelineJob:
    """What a ``@pipeline`` function returns: the pipeline spec and its parameters."""

    def __init__(self, spec: dict[str, Any], parameters: dict[str, Any]):
        self.spec = spec
        self.parameters = parameters

    def __repr__(self) -> str:
        return f"PipelineJob({self.spec['name']!r}, steps={list(self.spec['jobs'])})"


def pipeline(fn=None, *, name: str | None = None, default_target: str = "local", continue_on_step_failure: bool = False):
    """A pipeline from a function that calls components. ``@pipeline(default_target="local")``"""
    if fn is None:
        return functools.partial(pipeline, name=name, default_target=default_target, continue_on_step_failure=continue_on_step_failure)
    sig = _signature(fn)

    @functools.wraps(fn)
    def build(*args: Any, **kwargs: Any) -> PipelineJob:
        bound = sig.bind(*args, **kwargs)
        inputs: dict[str, Any] = {}
        for pname, p in sig.parameters.items():
            port: dict[str, Any] = {"type": _SCALARS.get(p.annotation, "any") if p.annotation is not inspect.Parameter.empty else "any"}
            if isinstance(p.annotation, Input):
                port = p.annotation.spec()
            if p.default is not inspect.Parameter.empty and p.default is not None:
                port["default"] = p.default
            elif p.default is None:
                port["optional"] = True
            inputs[pname] = port
        _RECORDING.append([])
        try:
            returned = fn(**{n: InputRef(n) for n in sig.parameters})
        finally:
            steps = _RECORDING.pop()
        seen: dict[str, int] = {}
        for step in steps:  # unique step names: prep, prep_2...
            base = step.name
            seen[base] = seen.get(base, 0) + 1
            step.name = base if seen[base] == 1 else f"{base}_{seen[base]}"
        outputs = {}
        for key, value in (returned or {}).items():
            if not isinstance(value, OutputRef):
                raise TypeError(f"pipeline {fn.__name__} returns {key!r}: return step outputs (step.outputs.NAME)")
            outputs[key] = value.binding()
        spec = {"name": name or fn.__name__, "inputs": inputs, "outputs": outputs,
                "settings": {"default_target": default_target, "continue_on_step_failure": continue_on_step_failure},
                "jobs": {s.name: s.spec() for s in steps}}
        return PipelineJob(spec, {k: _bound(v) for k, v in bound.arguments.items()})

    return build


def _bound(value: Any) -> Any:
    if isinstance(value, (OutputRef, InputRef)):
        return value.binding()
    if isinstance(value, os.PathLike):
        return str(Path(value).resolve())
    return value


def load_component(path: str | os.PathLike) -> Component:
    """A component YAML file (Azure ML's command component shape); ``code`` relative to the file."""
    import yaml

    p = Path(path)
    spec = yaml.safe_load(p.read_text())
    if not isinstance(spec, dict):
        raise ValueError(f"{path} must hold a mapping (name, command, inputs, outputs...)")
    spec = {k: v for k, v in spec.items() if k not in ("$schema", "display_name", "is_deterministic", "tags")} | (
        {"deterministic": spec["is_deterministic"]} if "is_deterministic" in spec else {})
    if spec.get("code"):
        spec["code"] = str((p.parent / spec["code"]).resolve())
    if spec.get("notebook"):
        nb = p.parent / spec["notebook"]
        spec["notebook"] = str(nb.resolve()) if nb.exists() else spec["notebook"]
    spec.setdefault("name", p.name.split(".")[0])
    spec.pop("version", None)  # a version is the registry's to give
    return Component(spec)


__all__ = ["Input", "Output", "component", "pipeline", "Component", "PipelineJob", "load_component"]
