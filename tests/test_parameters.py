"""Parameters as PyTorch and Keras count them (issue #16): frozen, tied, shared, free-standing and lazy
parameters, Keras trainable flags and nested models. Each program is analysed by shapelens and run by the
real framework; per row and in the model's totals, trainable and non-trainable counts must be the
framework's (tests/realcheck.py: torch's parameters(recurse=False) per module and model.parameters(),
which counts a shared tensor once; Keras' trainable_weights / non_trainable_weights)."""
from __future__ import annotations

import textwrap

import pytest

from realcheck import check_against_frameworks
from shapelens.analysis import analyze_source

TORCH = {
    "frozen_in_every_way": """
        import torch
        import torch.nn as nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.scale = nn.Parameter(torch.empty(10), requires_grad=False)
                self.conv = nn.Conv2d(3, 8, 3)
                self.conv.bias.requires_grad = False
                self.conv2 = nn.Conv2d(8, 8, 3)
                self.conv2.weight.requires_grad_(False)
                self.backbone = nn.Sequential(nn.Conv2d(8, 8, 1), nn.BatchNorm2d(8))
                self.backbone.requires_grad_(False)
                self.head = nn.Linear(8, 10)
                for p in self.head.parameters():
                    p.requires_grad = False
            def forward(self, x):
                x = self.backbone(self.conv2(self.conv(x)))
                return self.head(x.mean((2, 3))) * self.scale
        # shapelens: input=(2, 3, 12, 12)
        model = Net()
    """,
    "shared_module_and_tied_weights": """
        import torch
        import torch.nn as nn
        act = nn.ReLU()
        class Block(nn.Module):
            def __init__(self, c, act):
                super().__init__()
                self.fc = nn.Linear(c, c)
                self.act = act
            def forward(self, x):
                return self.act(self.fc(x))
        class Net(nn.Module):
            def __init__(self, vocab=30, dim=8):
                super().__init__()
                self.embed = nn.Embedding(vocab, dim)
                shared = nn.Linear(dim, dim)
                self.a = shared
                self.b = shared
                self.blocks = nn.ModuleList([Block(dim, act) for _ in range(3)])
                self.head = nn.Linear(dim, vocab)
                self.head.weight = self.embed.weight
            def forward(self, x):
                x = self.b(self.a(self.embed(x)))
                for block in self.blocks:
                    x = block(x)
                return self.head(x)
        # shapelens: input=(2, 5)
        model = Net()
    """,
    "free_parameters_vit_style": """
        import torch
        import torch.nn as nn
        class Patches(nn.Module):
            class Inner(nn.Module):
                def __init__(self, dim):
                    super().__init__()
                    self.proj = nn.Linear(dim, dim)
                    self.register_buffer("mask", torch.ones(dim))
                def forward(self, x):
                    return self.proj(x) * self.mask
            def __init__(self, image=16, patch=4, dim=12):
                super().__init__()
                n_patches = (image // patch) ** 2
                self.embed = nn.Conv2d(3, dim, patch, patch)
                self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
                self.pos_embedding = nn.Parameter(torch.zeros(1, n_patches + 1, dim))
                self.register_parameter("gamma", nn.Parameter(torch.ones(dim)))
                self.extra = nn.ParameterList([nn.Parameter(torch.zeros(dim)) for _ in range(2)])
                self.table = nn.ParameterDict({"a": nn.Parameter(torch.zeros(3, dim))})
                self.inner = Patches.Inner(dim)
            def forward(self, x):
                x = self.embed(x).flatten(2).transpose(1, 2)
                x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embedding
                return self.inner(x * self.gamma)
        # shapelens: input=(2, 3, 16, 16)
        model = Patches()
    """,
    "lazy_modules_after_the_first_forward": """
        import torch
        import torch.nn as nn
        # shapelens: input=(2, 3, 8, 8)
        model = nn.Sequential(nn.LazyConv2d(4, 3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(5))
        model(torch.randn(2, 3, 8, 8))
    """,
    # timm's LayerNorm: a subclass of nn.LayerNorm whose forward reads self.weight; the model is frozen
    # before that forward runs, then its head unfrozen (deit's fine-tuning of the heads)
    "frozen_subclass_of_a_layer_read_in_forward": """
        import torch.nn as nn
        import torch.nn.functional as F
        class LayerNorm(nn.LayerNorm):
            def __init__(self, num_channels, eps=1e-6, affine=True, **kwargs):
                super().__init__(num_channels, eps=eps, elementwise_affine=affine, **kwargs)
            def forward(self, x):
                return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        class Net(nn.Module):
            def __init__(self, dim=8):
                super().__init__()
                self.norm = LayerNorm(dim)
                self.head = nn.Linear(dim, 2)
            def forward(self, x):
                return self.head(self.norm(x))
        # shapelens: input=(2, 8)
        model = Net()
        model.requires_grad_(False)
        model.head.requires_grad_(True)
    """,
    # a linear probe by parameter name (timm's CaiT / DeiT fine-tuning recipes): named_parameters() gives
    # torch's dotted names, so the test on them decides which tensors train
    "linear_probe_by_parameter_name": """
        import torch
        import torch.nn as nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.cls_token = nn.Parameter(torch.zeros(1, 1, 8))
                self.blocks = nn.Sequential(nn.Linear(8, 8), nn.LayerNorm(8))
                self.head = nn.Linear(8, 3)
                self.head_dist = nn.Linear(8, 3)
            def forward(self, x):
                x = self.blocks(x + self.cls_token)
                return self.head(x) + self.head_dist(x)
        # shapelens: input=(2, 4, 8)
        model = Net()
        for name, param in model.named_parameters():
            if not name.startswith("head"):
                param.requires_grad = False
        # shapelens: input=(2, 4, 8)
        model_blocks = Net()
        for name, module in model_blocks.named_modules():
            if name.startswith("blocks."):
                module.requires_grad_(False)
    """,
    "bare_layers_are_models": """
        import torch.nn as nn
        # shapelens: input=(4, 8)
        model = nn.Linear(8, 64)
        # shapelens: input=(1, 16, 10, 10)
        conv = nn.Conv2d(16, 32, 3, groups=4)
    """,
}

KERAS = {
    "frozen_base_then_head": """
        import keras
        from keras import layers
        def make_base():
            inputs = keras.Input(shape=(16, 16, 3))
            x = layers.Conv2D(8, 3)(inputs)
            x = layers.BatchNormalization()(x)
            x = layers.GlobalAveragePooling2D()(x)
            return keras.Model(inputs, x, name="base")
        base_model = make_base()
        base_model.trainable = False
        inputs = keras.Input(shape=(16, 16, 3))
        x = base_model(inputs, training=False)
        x = layers.Dropout(0.2)(x)
        outputs = layers.Dense(3, trainable=True)(x)
        model = keras.Model(inputs, outputs)
    """,
    "trainable_flags_and_a_shared_layer": """
        import keras
        from keras import layers
        inputs = keras.Input(shape=(6,))
        shared = layers.Dense(6, name="shared")
        frozen = layers.Dense(4, trainable=False)
        bn = layers.BatchNormalization()
        bn.trainable = False
        x = shared(inputs)
        x = shared(x)
        x = bn(frozen(x))
        model = keras.Model(inputs, layers.Dense(2)(x))
    """,
}


@pytest.mark.parametrize("name", sorted(TORCH))
def test_torch_parameters_match(name):
    models = check_against_frameworks(textwrap.dedent(TORCH[name]))
    assert models and all(m.total_params is not None for m in models)


@pytest.mark.parametrize("name", sorted(KERAS))
def test_keras_weights_match(name):
    models = check_against_frameworks(textwrap.dedent(KERAS[name]), only=("model",))
    assert any(m.name == "model" and m.total_params is not None for m in models)


def test_frozen_and_tied_rows_say_why():
    result = analyze_source(textwrap.dedent(TORCH["frozen_in_every_way"]))
    texts = {l.path: [t for _, t in l.formulas] for l in result.models[0].layers}
    assert any("requires_grad=False" in t for t in texts["conv"]), texts["conv"]
    assert any("requires_grad_(False)" in t for t in texts["backbone.0"]), texts["backbone.0"]
    tied = analyze_source(textwrap.dedent(TORCH["shared_module_and_tied_weights"])).models[0]
    head = next(l for l in tied.layers if l.path == "head")
    assert any("made at line" in t for _, t in head.formulas), head.formulas
    shared = next(l for l in tied.layers if l.path == "a")
    assert any("also `b`" in t for w, t in shared.formulas if w == "shared"), shared.formulas


def test_frozen_keras_rows_say_where():
    result = analyze_source(textwrap.dedent(KERAS["trainable_flags_and_a_shared_layer"]))
    model = result.models[0]
    frozen = [l for l in model.layers if l.non_trainable and not l.trainable and l.type == "Dense"]
    assert frozen and all(any("trainable=False (line " in t for w, t in l.formulas if w == "frozen")
                          for l in frozen), [(l.type, l.formulas) for l in model.layers]


def test_a_part_is_unknown_when_a_row_of_it_is():
    """model_totals: the trainable part of a model with one unknown row is unknown, the other part known only
    when every row's is (never the sum of the part that was read)."""
    source = textwrap.dedent("""
        import torch.nn as nn
        import some_library_not_here as lib
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.bn = nn.BatchNorm1d(4)
                self.bn.weight.requires_grad = False
                self.ext = lib.Block(4)
                self.fc = nn.Linear(4, 2)
            def forward(self, x):
                return self.fc(self.ext(self.bn(x)))
        model = Net()
    """)
    m = analyze_source(source).models[0]
    assert m.total_params is None and m.trainable_params is None and m.non_trainable_params is None


def test_a_freezing_loop_over_a_module_with_an_unknown_part_leaves_no_wrong_split():
    """`for p in module.parameters(): p.requires_grad = False` over a module holding a part shapelens cannot
    follow (vit-pytorch's Adapter freezes a ViT holding einops layers): every row under it is "?" or torch's
    count, never the trainable count from before the loop."""
    import torch

    source = textwrap.dedent("""
        import random
        import torch
        import torch.nn as nn
        def set_module_requires_grad_(module, requires_grad):
            for param in module.parameters():
                param.requires_grad = requires_grad
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                act = getattr(nn, random.choice(["ReLU", "GELU"]))()
                self.token = nn.Parameter(torch.zeros(1, 8))   # the module's own: unknown after the loop too
                self.body = nn.Sequential(nn.Linear(4, 8), act, nn.LayerNorm(8))
                set_module_requires_grad_(self, False)
        model = Net()
        model.head = nn.Linear(8, 2)
    """)
    ns: dict = {}
    exec(source, ns)
    real = dict(ns["model"].named_modules())
    rec = next(m for m in analyze_source(source, "<t>").models if m.name == "model")
    checked = 0
    for layer in rec.layers:
        mod = real[layer.path]
        t = sum(p.numel() for p in mod.parameters(recurse=False) if p.requires_grad)
        n = sum(p.numel() for p in mod.parameters(recurse=False) if not p.requires_grad)
        if layer.trainable is not None:
            assert (layer.trainable, layer.non_trainable) == (t, n), layer.path
            checked += 1
    assert checked >= 1   # the head, outside the loop: torch's 18 trainable
    assert rec.total_params is None or rec.params_unknown_reason
    body = [l for l in rec.layers if l.path in ("body.0", "body.2", "")]
    assert body and all(l.trainable is None and l.unknown_reasons for l in body)
