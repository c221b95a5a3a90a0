"""``search.extensions``: --activation parsing, the plugin check of a joining worker, --families all."""

from __future__ import annotations

import pytest

import spaces
from search.errors import UsageError
from search.extensions import (
    check_plugins,
    expand_families,
    load_extensions,
    parse_activation,
    plugin_digests,
)
from tests.spaces.custom.conftest import isolated_registry  # noqa: F401  (a fixture)


def test_an_activation_is_name_equals_expression():
    assert parse_activation("Elu-Like = where(x > 0, x, exp(x) - 1)") == ("elu_like", "where(x > 0, x, exp(x) - 1)")
    assert parse_activation("leak=maximum(a * x, x); a in [0, 1]") == ("leak", "maximum(a * x, x); a in [0, 1]")
    for bad in ("maximum(0.5, x)", "=x", "name="):
        with pytest.raises(UsageError, match="--activation needs NAME=EXPR"):
            parse_activation(bad)


@pytest.mark.usefixtures("isolated_registry")
def test_expressions_register_and_refusals_name_the_flag():
    load_extensions([], ["shifted=maximum(0.5, x)", "wave=sin(x)"])
    assert spaces.get_family("wave").origin == "expression"
    with pytest.raises(UsageError, match=r"^--activation bad: Unknown name 'y'"):
        load_extensions([], ["bad=y * x"])
    with pytest.raises(UsageError, match=r"^Plugin module 'nowhere_to_be_found' is not found"):
        load_extensions(["nowhere_to_be_found"], [])


@pytest.mark.usefixtures("isolated_registry")
def test_all_is_every_registered_family_including_users_own():
    load_extensions(["tests.spaces.custom.example_plugin"], ["shifted=maximum(0.5, x)"])
    assert expand_families(["all"]) == spaces.family_names()
    assert {"relu", "rrelu", "scaled_tanh", "sine", "shifted"} <= set(expand_families(["ALL"]))
    assert expand_families(["relu", "tanh"]) == ["relu", "tanh"]


@pytest.mark.usefixtures("isolated_registry")
def test_a_worker_must_match_the_named_plugins_and_the_entry_points_whose_families_are_searched():
    loaded = load_extensions(["tests.spaces.custom.example_plugin"], [])
    unrelated = spaces.Plugin("entry-point:other", "some_other_package", "0" * 16)
    digests = plugin_digests([*loaded, unrelated], ["relu", "sine"])
    assert digests == {"tests.spaces.custom.example_plugin": loaded[0].digest}
    check_plugins("s", digests, digests)
    with pytest.raises(UsageError, match="uses plugin 'tests.spaces.custom.example_plugin', which this machine"):
        check_plugins("s", digests, {})
    with pytest.raises(UsageError, match=r"\(code 1111111111111111\) differs from the one study 's' was created"):
        check_plugins("s", digests, dict.fromkeys(digests, "1" * 16))
