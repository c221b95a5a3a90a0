"""The model builder of a study: the built-in MLP / CNN for the data's shape, or the user's ``--builder``,
checked before any trial: run once per family at its defaults, it must declare the activation, accept the
data's shape, give one output per class (or target), and come back compiled. Every failure is one line
naming the builder."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from search.errors import UsageError

SUPPORTED_HP = "Choice, Int, Float, Boolean, Fixed, conditional_scope, get, values"


def make_builder(ref: str | None, input_shape: tuple[int, ...], n_outputs: int, task: str,
                 families: Sequence[str]) -> Callable[[Any], Any]:
    """``builder_for`` the data without ``ref``; else the user's builder, loaded and checked."""
    from spaces import BuilderError, builder_for, load_builder

    if ref is None:
        return builder_for(input_shape, n_outputs, task, tuple(families))
    try:
        builder = load_builder(ref, input_shape=input_shape, n_outputs=n_outputs, task=task, families=families)
    except BuilderError as exc:
        raise UsageError(str(exc)) from exc
    for family in families:
        check_model(ref, _build(ref, builder, family), family, input_shape, n_outputs)
    return builder


def _build(ref: str, builder: Callable[[Any], Any], family: str) -> Any:
    from search.study.hp import DefaultHyperParameters

    hp = DefaultHyperParameters(fixed={"activation": family})
    try:
        model = builder(hp)
    except AttributeError as exc:
        if "HyperParameters" in str(exc):
            raise UsageError(f"Builder {ref!r} uses an hp method this search does not support ({exc}); use "
                             f"{SUPPORTED_HP}.") from exc
        raise UsageError(f"Builder {ref!r} raised AttributeError with activation {family!r}: {exc}") from exc
    except Exception as exc:
        raise UsageError(f"Builder {ref!r} raised {type(exc).__name__} with activation {family!r}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''}") from exc
    if "activation" not in hp.values:
        raise UsageError(f"Builder {ref!r} never declares the activation: call spaces.activation(hp) and use its "
                         f".layer() where the model applies its activation.")
    if hp.values["activation"] != family:
        raise UsageError(f"Builder {ref!r} declares the activation with other families than --families; call "
                         f"spaces.activation(hp) without families, so that it searches the study's.")
    return model


def check_model(ref: str, model: Any, family: str, input_shape: tuple[int, ...], n_outputs: int) -> None:
    """The model suits the data: a compiled ``keras.Model`` taking ``input_shape``, with ``n_outputs`` outputs."""
    import keras

    if not isinstance(model, keras.Model):
        raise UsageError(f"Builder {ref!r} returned {type(model).__name__}, not a keras.Model.")
    if not model.compiled:
        raise UsageError(f"Builder {ref!r} returned an uncompiled model; call model.compile(...) before returning.")
    expected = tuple(input_shape)
    got = tuple(model.inputs[0].shape[1:]) if len(model.inputs) == 1 else None
    if got != expected:
        raise UsageError(f"Builder {ref!r} builds a model for input {got}, but the data's examples have shape "
                         f"{expected}.")
    outputs = model.outputs[0].shape[-1] if len(model.outputs) == 1 else None
    if outputs != n_outputs:
        raise UsageError(f"Builder {ref!r} builds a model with {outputs} outputs, but the data needs {n_outputs} "
                         f"(one per class, or per regression target).")
