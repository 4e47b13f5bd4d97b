"""The curated namespace: every advertised name resolves, is documented and type-hinted."""

from __future__ import annotations

import inspect

import pytest

import eicircuits


@pytest.mark.parametrize("name", eicircuits.__all__)
def test_every_public_name_resolves_and_is_documented(name: str) -> None:
    obj = getattr(eicircuits, name)
    assert inspect.getdoc(obj), f"eicircuits.{name} has no docstring"
    if inspect.isfunction(obj):
        hints = inspect.signature(obj).return_annotation
        assert hints is not inspect.Signature.empty, f"eicircuits.{name} lacks a return type hint"


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        eicircuits.nope  # noqa: B018


def test_dir_lists_lazy_names() -> None:
    assert {"equilibrium", "simulate", "certify", "game", "sweep"} <= set(dir(eicircuits))
