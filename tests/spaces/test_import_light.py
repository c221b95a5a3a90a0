"""``import spaces`` and the registry stay free of Keras/TensorFlow; ``spaces`` imports only what it may."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPACES = ROOT / "spaces"

LIGHT = """
import sys
import spaces
spaces.get_family("relu").defaults()
spaces.get_family("swish")
spaces.family_names()
assert spaces.DEFAULT_FAMILIES
assert spaces.FloatParam and spaces.UnknownFamilyError and spaces.declare_activation and spaces.build_mlp
spaces.MLPBuilder(input_shape=(64,), n_outputs=10)
try:
    spaces.get_family("nope")
except spaces.UnknownFamilyError:
    pass
heavy = sorted(m for m in ("keras", "tensorflow") if m in sys.modules)
assert not heavy, heavy
"""

ALLOWED = {"keras", "numpy", "spaces"}


def _run(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)


def test_registry_does_not_import_keras_or_tensorflow():
    result = _run(LIGHT)
    assert result.returncode == 0, result.stderr


def test_registry_does_not_import_keras_or_tensorflow_minimal():
    code = (
        "import spaces, sys; spaces.get_family('relu'); "
        "assert 'keras' not in sys.modules and 'tensorflow' not in sys.modules"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr


def _imports(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _module_level_imports(tree: ast.Module) -> set[str]:
    return _imports(
        ast.Module(body=[n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)], type_ignores=[])
    )


LAYER_MODULES = {"_layers.py", "layers.py", "custom/layers.py"}  # the modules defining Keras layers


def test_spaces_imports_only_keras_numpy_and_stdlib():
    for path in sorted(SPACES.rglob("*.py")):
        foreign = _imports(ast.parse(path.read_text())) - ALLOWED - set(sys.stdlib_module_names)
        assert not foreign, f"{path.name} imports {sorted(foreign)}"


def test_only_the_layer_modules_import_keras_at_import_time():
    for path in sorted(SPACES.rglob("*.py")):
        eager = _module_level_imports(ast.parse(path.read_text())) & {"keras", "tensorflow"}
        name = path.relative_to(SPACES).as_posix()
        assert not eager or name in LAYER_MODULES, f"{name} imports {sorted(eager)} at module level"


def test_a_fresh_process_reloads_a_parametric_activation_after_touching_it(tmp_path):
    import keras

    import spaces

    model = keras.Sequential(
        [
            keras.Input(shape=(3,)),
            spaces.get_family("celu").build({"alpha": 2.0}, name="act"),
            keras.layers.Dense(1),
        ]
    )
    model.save(tmp_path / "m.keras")
    code = (
        "import spaces, keras; spaces.ParametricActivation; "
        f"m = keras.models.load_model({str(tmp_path / 'm.keras')!r}); "
        "c = m.get_layer('act').get_config(); assert (c['function'], c['kwargs']) == ('celu', {'alpha': 2.0}), c"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr
