"""CHGNet's pretrained weights are read as tensors only, and give what CHGNet.load gives."""

from __future__ import annotations

import contextlib
import importlib.util
import io

import pytest
import torch

from supercon3d import pretrained
from supercon3d.graphs import elements
from supercon3d.stability import potentials


@pytest.fixture
def torch_load_calls(monkeypatch):
    """Every ``torch.load`` call's ``weights_only`` argument, with the caches emptied so that
    the checkpoint is read again."""
    calls = []
    real_load = torch.load

    def recording_load(*args, **kwargs):
        calls.append(kwargs.get("weights_only"))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", recording_load)
    pretrained.chgnet_checkpoint.cache_clear()
    elements.element_table.cache_clear()
    yield calls
    pretrained.chgnet_checkpoint.cache_clear()
    elements.element_table.cache_clear()


def test_the_chgnet_embedding_and_potential_unpickle_nothing(torch_load_calls):
    elements.element_table("chgnet")
    potentials._load_chgnet()
    assert torch_load_calls == [True]  # one read of the checkpoint, tensors only


def test_the_potential_is_the_one_chgnet_load_builds():
    from chgnet.model import CHGNet

    with contextlib.redirect_stdout(io.StringIO()):
        reference = CHGNet.load(model_name=pretrained.CHGNET_MODEL, verbose=False)
        built = potentials._load_chgnet().calculator.model
    expected, state = reference.state_dict(), built.state_dict()
    assert state.keys() == expected.keys()
    assert all(torch.equal(state[name], expected[name]) for name in expected)
    assert built.model_args == reference.model_args
    assert built.version == reference.version


def test_a_missing_checkpoint_is_one_line_naming_the_folder(monkeypatch, tmp_path):
    (tmp_path / "chgnet").mkdir()
    origin = tmp_path / "chgnet" / "__init__.py"
    origin.write_text("")
    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args):
        if name == "chgnet":
            return importlib.util.spec_from_file_location("chgnet", origin)
        return real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(pretrained.PretrainedWeightsError, match="found 0") as error:
        pretrained.chgnet_checkpoint_path()
    assert str(tmp_path) in str(error.value) and "\n" not in str(error.value)
