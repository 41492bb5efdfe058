"""A pipeline spec as a checked graph: bindings parsed, types matched, cycles refused.

Everything here is pure (no store, no files): the service runs it at submit, before anything is
written, and ``POST /pipelines/graph`` runs it on a YAML file to draw it. Every problem is an
``InvalidRequest`` naming the step and the port, in the words of the spec
(``jobs.train.inputs.epochs``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidRequest
from .schemas import (
    Component, InputPort, OutputPort, PipelineEdge, PipelineSpec, PipelineStep, PipelineStepView,
    PipelineGraph, port_type,
)

BINDING = re.compile(r"^\$\{\{\s*parent\.(?:inputs\.(?P<input>[A-Za-z0-9_]+)|jobs\.(?P<step>[A-Za-z0-9_]+)\.outputs\.(?P<port>[A-Za-z0-9_]+))\s*\}\}$")
ANY_BINDING = re.compile(r"\$\{\{.*?\}\}")
PLACEHOLDER = re.compile(r"\$\{\{\s*(inputs|outputs)\.([A-Za-z0-9_]+)\s*\}\}")


@dataclass(frozen=True)
class Literal_:
    value: Any


@dataclass(frozen=True)
class FromParent:
    name: str


@dataclass(frozen=True)
class FromStep:
    step: str
    port: str


Binding = Literal_ | FromParent | FromStep


@dataclass
class Step:
    name: str
    spec: PipelineStep
    component: Component
    target: str
    bindings: dict[str, Binding] = field(default_factory=dict)
    upstream: list[str] = field(default_factory=list)


@dataclass
class Graph:
    name: str
    inputs: dict[str, InputPort]
    values: dict[str, Any]  # pipeline input -> value given (parameters over defaults)
    outputs: dict[str, FromStep]
    steps: dict[str, Step]  # in topological order
    edges: list[PipelineEdge]

    def downstream(self, name: str) -> set[str]:
        """Every step that reads, directly or not, what ``name`` writes."""
        out: set[str] = set()
        frontier = [name]
        while frontier:
            current = frontier.pop()
            for s in self.steps.values():
                if current in s.upstream and s.name not in out:
                    out.add(s.name)
                    frontier.append(s.name)
        return out


def value_type(value: Any) -> str:
    """The port type a literal value has."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        if value.startswith("data:"):
            return "data"
        if value.startswith("model:"):
            return "model"
        return "str"
    return "any"


def parse_binding(value: Any, where: str) -> Binding:
    if isinstance(value, str) and "${{" in value:
        m = BINDING.match(value.strip())
        if not m:
            raise InvalidRequest(
                f"{where}: {value!r} is not a binding; write ${{{{parent.inputs.NAME}}}} or ${{{{parent.jobs.STEP.outputs.PORT}}}} as the whole value")
        return FromParent(m["input"]) if m["input"] else FromStep(m["step"], m["port"])
    return Literal_(value)


def pipeline_inputs(spec: PipelineSpec) -> dict[str, InputPort]:
    """The pipeline's declared inputs: ``{type, default}`` objects, or bare values (their defaults)."""
    out: dict[str, InputPort] = {}
    for name, value in spec.inputs.items():
        if isinstance(value, dict) and ("type" in value or "default" in value or "path" in value or "value" in value):
            d = dict(value)
            if "path" in d:  # Azure: {type: uri_folder, path: ...}
                d.setdefault("default", d.pop("path"))
            if "value" in d:
                d.setdefault("default", d.pop("value"))
            d.pop("mode", None)
            try:
                out[name] = InputPort.model_validate(d)
            except Exception as exc:
                raise InvalidRequest(f"inputs.{name}: {exc}") from None
        else:
            out[name] = InputPort(type=value_type(value), default=value)  # type: ignore[arg-type]
    return out


def step_component(name: str, step: PipelineStep, registered: Callable[[str], Component] | None) -> Component:
    """The step's component: a registered one, the inline one, or built from the step's own fields."""
    where = f"jobs.{name}"
    if isinstance(step.component, str):
        if registered is None:
            raise InvalidRequest(f"{where}.component: {step.component!r} names a registered component; inline it to draw the pipeline")
        comp = registered(step.component)
    elif step.component is not None:
        comp = step.component
    else:
        kind = step.type or ("notebook" if step.notebook else "code" if step.source else "command")
        inputs = {}
        for port, value in step.inputs.items():
            inputs[port] = InputPort(type="any") if isinstance(value, str) and "${{" in value else InputPort(type=value_type(value))  # type: ignore[arg-type]
        outputs = {}
        for port, value in step.outputs.items():
            outputs[port] = _output_port(where, port, value)
        data = {"name": name, "type": kind, "command": step.command, "code": step.code, "notebook": step.notebook, "source": step.source,
                "parameters": step.parameters, "environment": step.environment, "inputs": inputs, "outputs": outputs}
        if step.deterministic is not None:
            data["deterministic"] = step.deterministic
        try:
            return Component.model_validate(data)
        except Exception as exc:
            raise InvalidRequest(f"{where}: {_pydantic_message(exc)}") from None
    # a step may set register_as on a component's output, and override its environment
    if step.outputs:
        outs = dict(comp.outputs)
        for port, value in step.outputs.items():
            if port not in outs:
                raise InvalidRequest(f"{where}.outputs.{port}: component {comp.name or name!r} has no output {port!r} "
                                     f"(it has: {', '.join(outs) or 'none'})")
            override = _output_port(where, port, value)
            outs[port] = outs[port].model_copy(update={"register_as": override.register_as or outs[port].register_as})
        comp = comp.model_copy(update={"outputs": outs})
    if step.environment:
        comp = comp.model_copy(update={"environment": step.environment})
    if step.deterministic is not None:
        comp = comp.model_copy(update={"deterministic": step.deterministic})
    return comp


def _output_port(where: str, port: str, value: Any) -> OutputPort:
    if value is None:
        return OutputPort()
    if isinstance(value, str):
        return OutputPort(type=port_type(value))  # type: ignore[arg-type]
    if isinstance(value, dict):
        d = {k: v for k, v in value.items() if k not in ("mode", "path")}
        try:
            return OutputPort.model_validate(d)
        except Exception as exc:
            raise InvalidRequest(f"{where}.outputs.{port}: {_pydantic_message(exc)}") from None
    raise InvalidRequest(f"{where}.outputs.{port}: give {{type: folder|file, register_as: NAME}} or null")


def _pydantic_message(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        parts = []
        for e in errors():
            loc = ".".join(str(p) for p in e.get("loc", ()))
            msg = str(e.get("msg", "")).removeprefix("Value error, ")
            parts.append(f"{loc}: {msg}" if loc else msg)
        return "; ".join(parts)
    return str(exc)


def fits(declared: str, given: str) -> bool:
    """Whether a value of type ``given`` may feed a port of type ``declared``."""
    if declared == "any" or given == "any" or declared == given:
        return True
    if declared == "float":
        return given == "int"
    if declared == "str":
        return given in ("data", "model")  # a reference is also text
    if declared in ("folder", "file"):
        return given in ("str", "data", "model") or (declared == "folder" and given == "model")
    if declared == "data":
        return given in ("folder", "file", "str")
    if declared == "model":
        return given in ("folder", "str")
    return False


def build(spec: PipelineSpec, parameters: dict[str, Any] | None = None,
          registered: Callable[[str], Component] | None = None, check_required: bool = True) -> Graph:
    """Check the spec and return its graph; ``InvalidRequest`` naming the step and port otherwise."""
    declared = pipeline_inputs(spec)
    parameters = dict(parameters or {})
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise InvalidRequest(f"parameters.{unknown[0]}: the pipeline has no input {unknown[0]!r} (it has: {', '.join(declared) or 'none'})")
    values: dict[str, Any] = {}
    for name, port in declared.items():
        value = parameters.get(name, port.default)
        if value is None:
            if check_required and not port.optional:
                raise InvalidRequest(f"inputs.{name} is required: give it a default in the pipeline or pass it in parameters")
            continue
        given = value_type(value)
        if port.type != "any" and not fits(port.type, given):
            raise InvalidRequest(f"inputs.{name} is a {port.type} but was given {value!r} (a {given})")
        values[name] = value

    steps: dict[str, Step] = {}
    for name, step_spec in spec.jobs.items():
        comp = step_component(name, step_spec, registered)
        steps[name] = Step(name, step_spec, comp, step_spec.target or spec.settings.default_target)

    edges: list[PipelineEdge] = []
    for name, step in steps.items():
        where = f"jobs.{name}"
        comp = step.component
        inline = step.spec.component is None
        for port, raw in step.spec.inputs.items():
            if not inline and port not in comp.inputs:
                raise InvalidRequest(f"{where}.inputs.{port}: component {comp.name or name!r} has no input {port!r} "
                                     f"(it has: {', '.join(comp.inputs) or 'none'})")
            b = parse_binding(raw, f"{where}.inputs.{port}")
            want = comp.inputs[port].type if port in comp.inputs else "any"
            if isinstance(b, FromParent):
                if b.name not in declared:
                    raise InvalidRequest(f"{where}.inputs.{port}: ${{{{parent.inputs.{b.name}}}}} names no input of the pipeline "
                                         f"(it has: {', '.join(declared) or 'none'})")
                given = declared[b.name].type if declared[b.name].type != "any" else value_type(values.get(b.name))
                edges.append(PipelineEdge(from_step=None, from_port=b.name, to_step=name, to_port=port, kind=given if given != "any" else want))
            elif isinstance(b, FromStep):
                if b.step not in steps:
                    raise InvalidRequest(f"{where}.inputs.{port}: ${{{{parent.jobs.{b.step}.outputs.{b.port}}}}} names no step {b.step!r} "
                                         f"(steps: {', '.join(steps)})")
                if b.step == name:
                    raise InvalidRequest(f"{where}.inputs.{port}: a step cannot read its own output {b.port!r}")
                up = steps[b.step].component.outputs
                if b.port not in up:
                    raise InvalidRequest(f"{where}.inputs.{port}: step {b.step!r} has no output {b.port!r} (it has: {', '.join(up) or 'none'})")
                given = up[b.port].type
                if b.step not in step.upstream:
                    step.upstream.append(b.step)
                edges.append(PipelineEdge(from_step=b.step, from_port=b.port, to_step=name, to_port=port, kind=given))
            else:
                given = value_type(b.value)
                if isinstance(b.value, (dict, list)):
                    raise InvalidRequest(f"{where}.inputs.{port}: give a number, string, boolean, reference or binding, not a {type(b.value).__name__}")
            if want != "any" and given != "any" and not fits(want, given):
                raise InvalidRequest(f"{where}.inputs.{port} is a {want} but is fed a {given}"
                                     f"{' (' + _shown(b) + ')' if not isinstance(b, Literal_) else f' ({b.value!r})'}; bind a {want} to it")
            step.bindings[port] = b
        if check_required:
            for port, decl in comp.inputs.items():
                if port in step.bindings:
                    continue
                if decl.default is None and not decl.optional:
                    raise InvalidRequest(f"{where}.inputs.{port} is required by component {comp.name or name!r}: bind it "
                                         f"(a value, ${{{{parent.inputs.NAME}}}} or ${{{{parent.jobs.STEP.outputs.PORT}}}})")
                if isinstance(b := step.bindings.get(port), FromParent) and b.name not in values and not decl.optional and decl.default is None:
                    raise InvalidRequest(f"{where}.inputs.{port}: pipeline input {b.name!r} has no value")
        if comp.type == "command":
            for other in ANY_BINDING.findall(PLACEHOLDER.sub("", comp.command or "")):
                raise InvalidRequest(f"{where}: the command uses {other}; a command names only ${{{{inputs.NAME}}}} and "
                                     f"${{{{outputs.NAME}}}}: bind the value to an input of the step and use that")
            for section, ref in PLACEHOLDER.findall(comp.command or ""):
                ports = comp.inputs if section == "inputs" else comp.outputs
                if ref not in ports:
                    raise InvalidRequest(f"{where}: the command uses ${{{{{section}.{ref}}}}} but the step has no {section[:-1]} {ref!r}; declare it")
        for port, out in comp.outputs.items():
            if out.register_as:
                _check_register(where, port, out.register_as)

    outputs: dict[str, FromStep] = {}
    for name, raw in spec.outputs.items():
        b = parse_binding(raw if isinstance(raw, str) and "${{" in raw else f"<{raw}>", f"outputs.{name}")
        if not isinstance(b, FromStep):
            raise InvalidRequest(f"outputs.{name}: bind it to a step's output, ${{{{parent.jobs.STEP.outputs.PORT}}}}")
        if b.step not in steps or b.port not in steps[b.step].component.outputs:
            raise InvalidRequest(f"outputs.{name}: {raw} names no output of a step (steps: {', '.join(steps)})")
        outputs[name] = b
        edges.append(PipelineEdge(from_step=b.step, from_port=b.port, to_step=None, to_port=name, kind=steps[b.step].component.outputs[b.port].type))

    order = _topological(steps)
    return Graph(spec.name, declared, values, outputs, {n: steps[n] for n in order}, edges)


def _check_register(where: str, port: str, register_as: str) -> None:
    from ..refs import check_name

    name = register_as.removeprefix("model:").removeprefix("data:")
    try:
        check_name(name, f"{where}.outputs.{port}.register_as")
    except InvalidRequest:
        raise
    except Exception as exc:  # pragma: no cover
        raise InvalidRequest(f"{where}.outputs.{port}.register_as: {exc}") from None


def _shown(b: Binding) -> str:
    if isinstance(b, FromStep):
        return f"${{{{parent.jobs.{b.step}.outputs.{b.port}}}}}"
    if isinstance(b, FromParent):
        return f"${{{{parent.inputs.{b.name}}}}}"
    return repr(b.value)


def _topological(steps: dict[str, Step]) -> list[str]:
    """Steps in an order where each comes after what it reads; a cycle is a 400 naming it."""
    state: dict[str, int] = {}  # 1 visiting, 2 done
    order: list[str] = []

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = path[path.index(name):] + [name]
            raise InvalidRequest(f"jobs: the steps form a cycle: {' -> '.join(cycle)}; a step cannot depend on its own outputs")
        state[name] = 1
        for up in steps[name].upstream:
            visit(up, [*path, name])
        state[name] = 2
        order.append(name)

    for name in steps:
        visit(name, [])
    return order


def view(graph: Graph) -> PipelineGraph:
    """The graph without statuses (a *.pipeline.yaml drawn read-only)."""
    steps = [
        PipelineStepView(
            name=s.name, display_name=s.spec.display_name or s.name, kind=s.component.type, component=_component_label(s.component),
            target=s.target, inputs={p: _shown(b) if not isinstance(b, Literal_) else b.value for p, b in s.bindings.items()},
            outputs={p: o.model_dump(exclude_defaults=True) or {"type": "folder"} for p, o in s.component.outputs.items()},
            depends_on=list(s.upstream),
        )
        for s in graph.steps.values()
    ]
    return PipelineGraph(
        name=graph.name, inputs={k: v.model_dump(exclude_defaults=True) for k, v in graph.inputs.items()},
        outputs={k: _shown(v) for k, v in graph.outputs.items()}, steps=steps, edges=graph.edges,
    )


def _component_label(c: Component) -> str:
    if c.version is not None:
        return f"{c.name}@{c.version}"
    return c.name


__all__ = ["build", "view", "Graph", "Step", "FromParent", "FromStep", "Literal_", "parse_binding", "value_type"]
