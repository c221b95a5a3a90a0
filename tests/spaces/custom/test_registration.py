"""Registering functions, Layer subclasses and expressions as families, and loading the plugins that do."""

from __future__ import annotations

import textwrap

import keras
import numpy as np
import pytest

import spaces
from spaces import FloatParam, PluginError

pytestmark = pytest.mark.usefixtures("isolated_registry")
X = np.linspace(-3, 3, 12, dtype="float32").reshape(2, 6)


def test_a_decorated_function_is_a_family_with_its_ranges_and_its_own_defaults():
    @spaces.register_activation("bent", params={"a": (0.01, 0.3, "log"), "b": {"low": 0.0, "high": 2.0, "default": 1.0}})
    def bent(x, a=0.1, b=1.0):
        """max(a * x, x) + b * 0."""
        return keras.ops.maximum(a * x, x) + 0.0 * b

    family = spaces.get_family("bent")
    assert family.params == (FloatParam("a", 0.01, 0.3, default=0.1, log=True), FloatParam("b", 0.0, 2.0, default=1.0))
    assert family.description == "max(a * x, x) + b * 0." and family.origin == __name__ and family.digest
    layer = family.build({"a": 0.2})
    np.testing.assert_allclose(np.asarray(layer(X)), np.maximum(0.2 * X, X), rtol=1e-6)
    assert bent(np.float32(2.0)) == 2.0  # the decorator returns the function


def test_a_range_without_a_usable_default_starts_in_its_middle():
    spaces.register_activation("mid", lambda x, a: x * a, params={"a": (1.0, 3.0)})
    assert spaces.get_family("mid").defaults() == {"a": 2.0}


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"params": {"c": (0.0, 1.0)}}, "does not take its parameters"),
        ({"params": {"a": (0.0, 1.0, "exp")}}, "can only be 'log'"),
        ({"params": {"a": "wide"}}, "give a range"),
        ({"params": {"a": (1.0, 0.0)}}, "needs finite low <= high"),
    ],
)
def test_bad_registrations_are_refused(kwargs, says):
    with pytest.raises(ValueError, match=says):
        spaces.register_activation("bad", lambda x, a=0.5: x * a, **kwargs)


def test_a_name_taken_by_another_definition_is_refused_and_the_same_definition_is_a_no_op():
    with pytest.raises(ValueError, match="'relu' is already registered"):
        spaces.register_expression("relu", "maximum(0.0, x)")
    first = spaces.register_expression("shift", "maximum(0.5, x)")
    assert spaces.register_expression("shift", "maximum(0.5, x)") == first
    with pytest.raises(ValueError, match="'shift' is already registered"):
        spaces.register_expression("shift", "maximum(0.25, x)")


def test_an_expression_family_gets_glorot_when_odd_and_he_otherwise():
    assert spaces.register_expression("odd", "sin(x) + x ** 3 / 10").initializer == "glorot_uniform"
    assert spaces.register_expression("even_ish", "maximum(0.5, x)").initializer == "he_normal"


def test_a_layer_subclass_is_a_family_and_is_registered_as_serialisable():
    @spaces.register_layer("halved", params={"factor": (0.1, 1.0)})
    class Halved(keras.layers.Layer):
        def __init__(self, factor=0.5, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, inputs):
            return inputs * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    layer = spaces.get_family("halved").build({"factor": 0.25}, name="h")
    assert layer.name == "h" and layer.factor == 0.25
    assert keras.saving.get_registered_name(Halved) == "activation_search_plugins>Halved"
    with pytest.raises(ValueError, match="needs a keras.layers.Layer subclass"):
        spaces.register_layer("nope", lambda x: x)


def test_a_plugin_loads_by_module_name_and_by_path_once(tmp_path, monkeypatch):
    plugin = spaces.load_plugin("tests.spaces.custom.example_plugin")
    assert {"scaled_tanh", "sine"} <= set(spaces.family_names()) and len(plugin.digest) == 16
    assert spaces.load_plugin("tests.spaces.custom.example_plugin") == plugin
    (tmp_path / "acts.py").write_text(textwrap.dedent("""
        import spaces
        spaces.register_expression("from_file", "abs(x) * 0.5")
    """))
    monkeypatch.chdir(tmp_path)
    by_path = spaces.load_plugin("./acts.py")
    assert by_path.module.startswith("activation_search_plugin_acts_") and "from_file" in spaces.family_names()
    assert spaces.load_plugin(str(tmp_path / "acts.py")) == spaces.Plugin(str(tmp_path / "acts.py"), by_path.module,
                                                                          by_path.digest)
    assert spaces.load_plugin("acts").digest == by_path.digest  # importable from the working directory


@pytest.mark.parametrize(
    ("source", "spec", "says"),
    [
        (None, "no_such_plugin_module", "Plugin module 'no_such_plugin_module' is not found"),
        (None, "./missing.py", "Plugin file './missing.py' is not found"),
        ("raise RuntimeError('boom')", "./broken.py", "Plugin './broken.py' failed on import: RuntimeError: boom"),
        ("import no_such_dependency", "broken_dep", "failed on import: ModuleNotFoundError"),
    ],
)
def test_a_plugin_that_cannot_load_is_one_line_naming_it(source, spec, says, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    if source is not None:
        (tmp_path / (spec.removeprefix("./").removesuffix(".py") + ".py")).write_text(source)
    with pytest.raises(PluginError) as info:
        spaces.load_plugin(spec)
    assert says in str(info.value) and "\n" not in str(info.value)


def test_installed_entry_points_register_their_families(tmp_path, monkeypatch):
    """A pip-installed package's entry point, as importlib.metadata finds it: a dist-info on sys.path."""
    (tmp_path / "ep_acts.py").write_text("import spaces\n\ndef register():\n    spaces.register_expression('ep_wave', 'sin(x) * 0.9')\n")
    info = tmp_path / "ep_acts-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: ep-acts\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{spaces.ENTRY_POINT_GROUP}]\nwaves = ep_acts:register\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    (plugin,) = [p for p in spaces.load_entry_points() if p.spec == "entry-point:waves"]
    assert plugin.module == "ep_acts" and "ep_wave" in spaces.family_names()
