"""The study's spec and search-space signature: what lets a worker on another machine join, or be refused."""

from __future__ import annotations

import pytest

from search.errors import UsageError
from search.study.spec import StudySpec, check_space, space_signature
from spaces import MLPBuilder

SPEC = StudySpec(dataset="iris", target=None, task=None, impute=False, val_size=0.15, test_size=0.15, seed=0,
                 families=("relu", "tanh"), metric="accuracy", epochs=3, batch_size=64, patience=None,
                 sampler="tpe", pruner="median")


def test_the_spec_round_trips_through_user_attributes() -> None:
    assert StudySpec.from_attrs("s", {"spec": SPEC.to_attr()}) == SPEC


def test_a_study_without_a_spec_is_refused_with_the_command_to_start_it() -> None:
    with pytest.raises(UsageError) as info:
        StudySpec.from_attrs("old", {})
    assert str(info.value) == (
        "Study 'old' has no worker spec (it was not created by this version of `search run`); "
        "start it with `python -m search run --study old` first."
    )


def test_the_signature_changes_with_the_space_and_only_then() -> None:
    builder = MLPBuilder((4,), 3, "classification", ("relu", "tanh", "elu"))
    same = space_signature(builder, ("relu", "tanh", "elu"))
    assert same == space_signature(MLPBuilder((4,), 3, "classification", ("relu", "tanh", "elu")), ("relu", "tanh", "elu"))
    assert same != space_signature(builder, ("relu", "tanh"))  # other families
    assert same != space_signature(MLPBuilder((4,), 5, "classification", ("relu", "tanh", "elu")),
                                   ("relu", "tanh", "elu"))  # another builder setting

    def wide(hp):  # a user's builder function; one range changed
        return builder(_Widen(hp))

    assert space_signature(wide, ("relu",)) == space_signature(wide, ("relu",))
    assert space_signature(wide, ("relu",)) != space_signature(builder, ("relu",))
    check_space("s", same, same)
    check_space("s", None, same)  # a study from before signatures
    with pytest.raises(UsageError, match="created by code with another search space"):
        check_space("s", "0123456789abcdef", same)


class _Widen:
    """Delegates to an hp object, but doubles every Int's upper bound: "the code changed a range"."""

    def __init__(self, hp):
        self._hp = hp

    def Int(self, name, min_value, max_value, **kwargs):
        return self._hp.Int(name, min_value, max_value * 2, **kwargs)

    def __getattr__(self, name):
        return getattr(self._hp, name)
