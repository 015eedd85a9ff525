"""Every layer class of torch.nn and keras.layers has a catalog entry, or is listed here with the reason it has
none. A new framework release that adds a layer makes this test fail until the layer gets an entry (or a
reasoned exclusion)."""
from __future__ import annotations

import inspect
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import torch.nn as nn  # noqa: E402

from shapelens.frameworks.keras_layers import CATALOG as KERAS  # noqa: E402
from shapelens.frameworks.torch_layers import CATALOG as TORCH  # noqa: E402

TORCH_EXCLUDED = {
    # Base classes: no forward of their own (RNNBase's and RNNCellBase's forward raise NotImplementedError);
    # their subclasses (RNN/LSTM/GRU, the cells) have entries.
    "Module", "RNNBase", "RNNCellBase",
    # Containers: the interpreter follows them (their children are the rows).
    "Container", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
    # Wraps a whole model for multi-GPU runs; the model inside is what is analysed.
    "DataParallel",
}
# Loss functions: not layers of a model (they take a prediction and a target and return a scalar).
TORCH_LOSSES = {n for n in dir(nn) if n.endswith("Loss") and n != "AdaptiveLogSoftmaxWithLoss"} | {"NLLLoss2d"}

KERAS_EXCLUDED = {
    # The base classes a user subclasses (the interpreter follows the subclass's call()).
    "Layer", "Wrapper",
    # keras.Input's layer: the interpreter reads the model's input shape from it.
    "InputLayer",
    # Layers wrapping code of another framework (a torch module, a JAX/Flax function, a TensorFlow
    # SavedModel): their shapes and weights live in that code.
    "TorchModuleWrapper", "JaxLayer", "FlaxLayer", "TFSMLayer",
}


def torch_layer_classes() -> set:
    return {n for n in dir(nn) if inspect.isclass(getattr(nn, n)) and issubclass(getattr(nn, n), nn.Module)}


def keras_layer_classes() -> set:
    return {n for n in dir(keras.layers)
            if inspect.isclass(getattr(keras.layers, n)) and issubclass(getattr(keras.layers, n), keras.layers.Layer)}


def test_every_torch_layer_has_an_entry_or_a_reason():
    missing = torch_layer_classes() - set(TORCH) - TORCH_EXCLUDED - TORCH_LOSSES
    assert sorted(missing) == []


def test_every_keras_layer_has_an_entry_or_a_reason():
    missing = keras_layer_classes() - set(KERAS) - KERAS_EXCLUDED
    assert sorted(missing) == []


def test_exclusions_name_real_classes_without_entries():
    """An exclusion that names no class (renamed upstream) or a class that now has an entry is stale."""
    assert TORCH_EXCLUDED <= torch_layer_classes() and not TORCH_EXCLUDED & set(TORCH)
    assert TORCH_LOSSES <= torch_layer_classes() and not TORCH_LOSSES & set(TORCH)
    assert KERAS_EXCLUDED <= keras_layer_classes() and not KERAS_EXCLUDED & set(KERAS)


def test_every_entry_is_a_real_class():
    assert set(TORCH) <= torch_layer_classes()
    assert set(KERAS) <= keras_layer_classes()


def test_catalogs_import_no_framework():
    """The catalogs are pure Python (the CLI starts without torch or keras): importing them in a fresh process
    loads neither."""
    import subprocess
    import sys

    code = ("import sys; import shapelens.frameworks.torch_layers, shapelens.frameworks.keras_layers, "
            "shapelens.frameworks.torch_functional; print(sorted(m for m in ('torch', 'keras', 'numpy', 'tensorflow')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(os.path.dirname(
                             os.path.abspath(__file__))), "server")))
    assert out.stdout.strip() == "[]"
