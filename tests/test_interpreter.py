"""The interpreter on the model-building idioms of issue #12, each a small program run by shapelens and by
the real framework: every model's layers (paths, output shapes, trainable and frozen parameters) and
totals must be what torch 2.13 / Keras 3 give (tests/realcheck.py). Lines carrying `# => SHAPE PARAMS`
are also checked against those hand-computed values (tests/annotated.py).
"""
from __future__ import annotations

import textwrap

import numpy as np
import pytest

from annotated import check
from realcheck import check_against_frameworks
from shapelens.analysis import analyze_source

IDIOMS = {
    # kuangliu/pytorch-cifar's DLA: children registered and read through nn.Module's own dunders (was: the
    # subtrees were missed and a wrong total printed as fact)
    "torch_dunder_setattr_getattr": """
        import torch
        import torch.nn as nn
        class Tree(nn.Module):
            def __init__(self, level):
                super().__init__()
                self.level = level
                for i in reversed(range(1, level)):
                    self.__setattr__('level_%d' % i, nn.Linear(4, 4))
                self.out = nn.Linear(4, 2)
            def forward(self, x):
                for i in reversed(range(1, self.level)):
                    x = self.__getattr__('level_%d' % i)(x)
                return self.out(x)
        # shapelens: input=(2, 4)
        model = Tree(3)
        # shapelens: input=(2, 4)
        model_flat = Tree(1)
    """,
    # PyTorch-GAN's MUNIT: a LayerNorm made of legacy-constructor parameters, AdaIN found by class name
    "torch_legacy_tensor_and_class_name": """
        import torch
        import torch.nn as nn
        class LayerNorm(nn.Module):
            def __init__(self, num_features):
                super().__init__()
                self.gamma = nn.Parameter(torch.Tensor(num_features).uniform_())
                self.beta = nn.Parameter(torch.zeros(num_features))
                self.table = nn.Parameter(torch.Tensor(2, num_features))
                self.data = nn.Parameter(torch.FloatTensor([1, 2, 3]))
            def forward(self, x):
                return x * self.gamma.view(1, -1, 1, 1) + self.beta.view(1, -1, 1, 1)
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = nn.Sequential(nn.Conv2d(3, 8, 3), LayerNorm(8), nn.ReLU())
                n = 0
                for m in self.modules():
                    if m.__class__.__name__ == "LayerNorm":
                        n += 2 * m.gamma.shape[0]
                self.head = nn.Linear(n, 4)
            def forward(self, x):
                return self.head(self.body(x).mean((2, 3)).repeat(1, 2))
        # shapelens: input=(2, 3, 8, 8)
        model = Net()
    """,
    # pytorch-cifar's PreActBlock / SENet: a shortcut only some blocks have, tested with hasattr in forward
    "torch_hasattr_shortcut": """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        class Block(nn.Module):
            def __init__(self, cin, cout, stride=1):
                super().__init__()
                self.conv = nn.Conv2d(cin, cout, 3, stride, 1)
                if stride != 1 or cin != cout:
                    self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride))
            def forward(self, x):
                shortcut = self.shortcut(x) if hasattr(self, 'shortcut') else x
                return F.relu(self.conv(x) + shortcut)
        # shapelens: input=(2, 4, 8, 8)
        model = nn.Sequential(Block(4, 4), Block(4, 8, 2), Block(8, 8))
    """,
    # Each layer sees the values of its own iteration (was: every conv got the last value).
    "keras_nested_loops_add": """
        import keras
        from keras import layers
        BLOCKS = [(8, 2), (16, 1)]
        model = keras.Sequential([keras.Input(shape=(16, 16, 3))])
        for filters, repeats in BLOCKS:
            for _ in range(repeats):
                model.add(layers.Conv2D(filters, 3))
        model.add(layers.Flatten())
        model.add(layers.Dense(10))
    """,
    "torch_add_module_in_loops": """
        import torch
        import torch.nn as nn
        model = nn.Sequential()
        model.add_module("conv1", nn.Conv2d(3, 8, 3))          # => (1, 8, 14, 14) 224
        for i in range(2):
            model.add_module(f"conv{i + 2}", nn.Conv2d(8, 8, 3))
            model.add_module(f"relu{i + 2}", nn.ReLU())
        model.add_module("flat", nn.Flatten())
        out = model(torch.randn(1, 3, 16, 16))
    """,
    "vgg_make_layers_cfgs": """
        import torch
        import torch.nn as nn
        cfgs = {"A": [8, "M", 16, "M"], "B": [8, 8, "M", 16, 16, "M"]}
        def make_layers(cfg, batch_norm=False):
            layers = []
            in_channels = 3
            for v in cfg:
                if v == "M":
                    layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
                else:
                    conv2d = nn.Conv2d(in_channels, v, kernel_size=3, padding=1)
                    if batch_norm:
                        layers += [conv2d, nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
                    else:
                        layers += [conv2d, nn.ReLU(inplace=True)]
                    in_channels = v
            return nn.Sequential(*layers)
        class VGG(nn.Module):
            def __init__(self, features, num_classes=10):
                super().__init__()
                self.features = features
                self.avgpool = nn.AdaptiveAvgPool2d((2, 2))
                self.classifier = nn.Sequential(nn.Linear(16 * 2 * 2, 32), nn.ReLU(True), nn.Linear(32, num_classes))
            def forward(self, x):
                x = self.features(x)
                x = self.avgpool(x)
                x = torch.flatten(x, 1)
                return self.classifier(x)
        # shapelens: input=(1, 3, 16, 16)
        model = VGG(make_layers(cfgs["A"]))
        # shapelens: input=(1, 3, 16, 16)
        model_bn = VGG(make_layers(cfgs["B"], batch_norm=True), num_classes=4)
    """,
    "autograd_function_apply": """
        import torch
        import torch.nn as nn
        from torch.autograd.function import Function
        class Reversible(Function):
            @staticmethod
            def forward(ctx, x, blocks):
                for b in blocks:
                    x = b(x)
                ctx.save_for_backward(x)
                ctx.blocks = blocks
                return x
            @staticmethod
            def backward(ctx, dy):
                return dy, None
        class Project(torch.autograd.Function):
            @staticmethod
            def forward(x, w):
                return x @ w
            @staticmethod
            def setup_context(ctx, inputs, output):
                ctx.save_for_backward(*inputs)
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.blocks = nn.ModuleList([nn.Linear(8, 8), nn.Linear(8, 8)])
                self.w = nn.Parameter(torch.zeros(8, 3))
                self.head = nn.Linear(3, 2)
            def forward(self, x):
                y = Reversible.apply(x, self.blocks)
                return self.head(Project.apply(y, self.w))
        # shapelens: input=(2, 8)
        model = Net()
    """,
    "condition_false_whatever_training_is": """
        import torch
        import torch.nn as nn
        class Stack(nn.Module):
            def __init__(self, layers, layer_dropout=0.):
                super().__init__()
                self.layers = nn.ModuleList(layers)
                self.layer_dropout = layer_dropout
            def forward(self, x):
                layers = list(self.layers)
                if self.training and self.layer_dropout > 0:
                    keep = torch.empty(len(layers)).uniform_(0, 1) >= self.layer_dropout
                    layers = [l for l, k in zip(layers, keep) if k]
                if not (self.layer_dropout > 0 or self.training is None):
                    x = x * 1
                for layer in layers:
                    x = layer(x)
                return x
        # shapelens: input=(2, 4)
        model = Stack([nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3)])
    """,
    "tensor_type_and_repeat_interleave": """
        import torch
        import torch.nn as nn
        class Pos(nn.Module):
            def __init__(self, channels):
                super().__init__()
                self.register_buffer("inv_freq", 1. / (10000 ** (torch.arange(0, channels, 2).float() / channels)))
                self.proj = nn.Linear(channels, 5)
            def forward(self, x):
                pos = torch.arange(x.shape[1], device=x.device).type(self.inv_freq.type())
                sin_inp = torch.einsum("i,j->ij", pos, self.inv_freq)
                emb = torch.cat((sin_inp.sin(), sin_inp.cos()), dim=-1)
                rep = emb.repeat_interleave(2, dim=0)
                return self.proj(rep)
        # shapelens: input=(2, 7, 8)
        model = Pos(8)
    """,
    "meshgrid_roll_and_eager_jit": """
        import torch
        import torch.nn as nn
        from typing import List
        class Window(nn.Module):
            def __init__(self, dim=6, window=3):
                super().__init__()
                coords = torch.stack(torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij"))
                self.register_buffer("coords", torch.flatten(coords, 1))
                self.proj = nn.Linear(dim + window * window, dim)
                self.heads = nn.ModuleList([nn.Linear(dim, 4), nn.Linear(dim, 5)])
            def forward(self, x):
                if not torch.jit.is_scripting() and not torch.jit.is_tracing():
                    x = torch.roll(x, shifts=(1, 1), dims=(1, 2))
                outs = torch.jit.annotate(List[torch.Tensor], [])
                b = x.shape[0]
                grid = self.coords.sum(0).expand(b, x.shape[1], x.shape[2], -1)
                y = self.proj(torch.cat([x, grid], dim=-1))
                for head in self.heads:
                    outs.append(head(y))
                return outs
        # shapelens: input=(2, 4, 4, 6)
        model = Window()
    """,
    "weight_norm_legacy": """
        import torch
        import torch.nn as nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv1d(16, 16, 8, padding=4, groups=4)
                self.conv = torch.nn.utils.weight_norm(self.conv, name="weight", dim=2)
                self.a = torch.nn.utils.weight_norm(nn.Linear(16, 12))
                self.b = nn.utils.weight_norm(nn.Conv1d(12, 6, 3), dim=None)
                self.c = nn.utils.weight_norm(nn.Linear(6, 5), dim=-2)
            def forward(self, x):
                y = self.a(self.conv(x.transpose(1, 2)).transpose(1, 2))
                y = self.b(y.transpose(1, 2)).transpose(1, 2)
                return self.c(y)
        # shapelens: input=(2, 10, 16)
        model = Net()
    """,
    "empty_container_branch": """
        import torch
        import torch.nn as nn
        class Block(nn.Module):
            def __init__(self, inp, oup, stride):
                super().__init__()
                self.stride = stride
                if stride > 1:
                    self.branch1 = nn.Sequential(nn.Conv2d(inp, inp, 3, stride, 1, groups=inp), nn.BatchNorm2d(inp))
                else:
                    self.branch1 = nn.Sequential()
                self.extra = nn.ModuleList()
                self.branch2 = nn.Conv2d(inp if stride > 1 else inp // 2, oup // 2, 1, stride)
            def forward(self, x):
                if self.stride == 1:
                    x1, x2 = x.chunk(2, dim=1)
                    return torch.cat((x1, self.branch2(x2)), dim=1)
                return torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.stage = nn.Sequential(Block(8, 16, 2), Block(16, 16, 1), Block(16, 16, 1))
                self.pass_through = nn.Sequential()
            def forward(self, x):
                return self.pass_through(self.stage(x))
        # shapelens: input=(2, 8, 16, 16)
        model = Net()
    """,
    "mixin_after_nn_module_and_tuple_output": """
        import inspect
        import torch
        import torch.nn as nn
        class HyperParameters:
            def save_hyperparameters(self, ignore=[]):
                frame = inspect.currentframe().f_back
                _, _, _, local_vars = inspect.getargvalues(frame)
                self.hparams = {k: v for k, v in local_vars.items()
                                if k not in set(ignore + ['self']) and not k.startswith('_')}
                for k, v in self.hparams.items():
                    setattr(self, k, v)
        class Module(nn.Module, HyperParameters):
            def __init__(self):
                super().__init__()
        class RNNScratch(Module):
            def __init__(self, num_inputs, num_hiddens, sigma=0.01):
                super().__init__()
                self.save_hyperparameters()
                self.W_xh = nn.Parameter(torch.randn(num_inputs, num_hiddens) * sigma)
                self.b_h = nn.Parameter(torch.zeros(num_hiddens))
            def forward(self, inputs):
                state = torch.zeros((inputs.shape[1], self.num_hiddens))
                outputs = []
                for X in inputs:
                    state = torch.tanh(torch.matmul(X, self.W_xh) + state + self.b_h)
                    outputs.append(state)
                return outputs, state
        class LM(Module):
            def __init__(self, rnn, vocab_size):
                super().__init__()
                self.save_hyperparameters()
                self.head = nn.Linear(self.rnn.num_hiddens, vocab_size)
            def forward(self, x):
                outputs, _ = self.rnn(x)
                return self.head(torch.stack(outputs, 1))
        # shapelens: input=(5, 2, 8)
        model = LM(RNNScratch(8, 16), vocab_size=28)
    """,
    "subclass_of_nn_transformer_replacing_its_decoder": """
        import math
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        class TransformerModel(nn.Transformer):
            # pytorch/examples word_language_model: the Transformer's own decoder is replaced by a Linear
            def __init__(self, ntoken, ninp, nhead, nhid, nlayers):
                super(TransformerModel, self).__init__(d_model=ninp, nhead=nhead, dim_feedforward=nhid,
                                                       num_encoder_layers=nlayers)
                self.input_emb = nn.Embedding(ntoken, ninp)
                self.ninp = ninp
                self.decoder = nn.Linear(ninp, ntoken)
            def forward(self, src):
                src = self.input_emb(src) * math.sqrt(self.ninp)
                output = self.encoder(src)
                return F.log_softmax(self.decoder(output), dim=-1)
        # shapelens: input=(5, 2)
        model = TransformerModel(100, 32, 2, 64, 2)
    """,
    "staticmethod_helper": """
        import torch
        from torch import nn
        class Block(nn.Module):
            def __init__(self, inp, oup):
                super().__init__()
                self.branch = nn.Sequential(
                    self.depthwise_conv(inp, inp, kernel_size=3, stride=2, padding=1),
                    nn.BatchNorm2d(inp),
                    nn.Conv2d(inp, oup, 1),
                )
            @staticmethod
            def depthwise_conv(i, o, kernel_size, stride=1, padding=0, bias=False):
                return nn.Conv2d(i, o, kernel_size, stride, padding, bias=bias, groups=i)
            def forward(self, x):
                return self.branch(x)
        model = Block(8, 16)
        out = model(torch.randn(2, 8, 16, 16))
    """,
    "keras_tensor_helper_in_builder": """
        import keras
        from keras import layers
        def block(x, f):
            x = layers.Conv2D(f, 3, padding="same")(x)
            x = layers.ReLU()(x)
            return x
        def build():
            inp = keras.Input(shape=(16, 16, 3))
            x = block(inp, 8)
            x = block(x, 16)
            x = layers.GlobalAveragePooling2D()(x)
            return keras.Model(inp, layers.Dense(4)(x))
        model = build()
    """,
    "helpers_returning_layers_lists_sequentials": """
        import torch
        from torch import nn
        def conv3x3(i, o, stride=1):
            return nn.Conv2d(i, o, 3, stride, 1, bias=False)
        def vgg_block(num_convs, in_channels, out_channels):
            layers = []
            for _ in range(num_convs):
                layers.append(nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1))
                layers.append(nn.ReLU())
                in_channels = out_channels
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            return nn.Sequential(*layers)
        def nin_block(in_channels, out_channels, kernel_size, strides, padding):
            return nn.Sequential(
                nn.Conv2d(in_channels, out_channels, kernel_size, strides, padding), nn.ReLU(),
                nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU())
        def dense_block(n_in, n_out, p):
            return [nn.Linear(n_in, n_out), nn.ReLU(), nn.Dropout(p)]
        arch = ((1, 8), (2, 16))
        blocks = []
        in_c = 8
        for (n, o) in arch:
            blocks.append((n, in_c, o))
            in_c = o
        # shapelens: input=(2, 3, 16, 16)
        net = nn.Sequential(
            conv3x3(3, 8),
            *[vgg_block(n, c, o) for (n, c, o) in blocks],
            nin_block(16, 16, kernel_size=3, strides=1, padding=1),
            nn.Flatten(),
            *dense_block(16 * 4 * 4, 32, 0.5),
            nn.Linear(32, 10),
        )
    """,
    "keras_conv_block_returning_sequential": """
        import keras
        from keras import layers
        def conv_block(filters):
            return keras.Sequential([layers.Conv2D(filters, 3, padding="same"), layers.BatchNormalization(),
                                     layers.ReLU()])
        inputs = keras.Input(shape=(8, 8, 3))
        x = conv_block(4)(inputs)
        x = conv_block(8)(x)
        outputs = layers.Dense(2)(layers.Flatten()(x))
        model = keras.Model(inputs, outputs)
    """,
    "resnet_make_layer_expansion": """
        import torch
        import torch.nn as nn
        from functools import partial
        def conv3x3(in_planes, out_planes, stride=1):
            return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)
        def conv1x1(in_planes, out_planes, stride=1):
            return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)
        class BasicBlock(nn.Module):
            expansion = 1
            def __init__(self, inplanes, planes, stride=1, downsample=None, norm_layer=None):
                super().__init__()
                if norm_layer is None:
                    norm_layer = nn.BatchNorm2d
                self.conv1 = conv3x3(inplanes, planes, stride)
                self.bn1 = norm_layer(planes)
                self.relu = nn.ReLU(inplace=True)
                self.conv2 = conv3x3(planes, planes)
                self.bn2 = norm_layer(planes)
                self.downsample = downsample
            def forward(self, x):
                identity = x
                out = self.relu(self.bn1(self.conv1(x)))
                out = self.bn2(self.conv2(out))
                if self.downsample is not None:
                    identity = self.downsample(x)
                return self.relu(out + identity)
        class Bottleneck(nn.Module):
            expansion = 4
            def __init__(self, inplanes, planes, stride=1, downsample=None, norm_layer=None):
                super().__init__()
                norm_layer = norm_layer or nn.BatchNorm2d
                self.conv1 = conv1x1(inplanes, planes)
                self.bn1 = norm_layer(planes)
                self.conv2 = conv3x3(planes, planes, stride)
                self.bn2 = norm_layer(planes)
                self.conv3 = conv1x1(planes, planes * self.expansion)
                self.bn3 = norm_layer(planes * self.expansion)
                self.relu = nn.ReLU(inplace=True)
                self.downsample = downsample
            def forward(self, x):
                identity = x if self.downsample is None else self.downsample(x)
                out = self.relu(self.bn1(self.conv1(x)))
                out = self.relu(self.bn2(self.conv2(out)))
                out = self.bn3(self.conv3(out))
                return self.relu(out + identity)
        class ResNet(nn.Module):
            def __init__(self, block, layers, num_classes=10, norm_layer=None):
                super().__init__()
                self._norm_layer = norm_layer or nn.BatchNorm2d
                self.inplanes = 8
                self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=3, padding=1, bias=False)
                self.bn1 = self._norm_layer(self.inplanes)
                self.relu = nn.ReLU(inplace=True)
                self.layer1 = self._make_layer(block, 8, layers[0])
                self.layer2 = self._make_layer(block, 16, layers[1], stride=2)
                self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
                self.fc = nn.Linear(16 * block.expansion, num_classes)
            def _make_layer(self, block, planes, blocks, stride=1):
                downsample = None
                if stride != 1 or self.inplanes != planes * block.expansion:
                    downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                               self._norm_layer(planes * block.expansion))
                layers = [block(self.inplanes, planes, stride, downsample, self._norm_layer)]
                self.inplanes = planes * block.expansion
                for _ in range(1, blocks):
                    layers.append(block(self.inplanes, planes, norm_layer=self._norm_layer))
                return nn.Sequential(*layers)
            def forward(self, x):
                x = self.relu(self.bn1(self.conv1(x)))
                x = self.layer2(self.layer1(x))
                x = torch.flatten(self.avgpool(x), 1)
                return self.fc(x)
        def resnet(block, layers, **kwargs):
            return ResNet(block, layers, **kwargs)
        # shapelens: input=(2, 3, 16, 16)
        model = resnet(BasicBlock, [2, 2])
        # shapelens: input=(2, 3, 16, 16)
        model_b = resnet(Bottleneck, [1, 2], num_classes=3, norm_layer=partial(nn.BatchNorm2d, eps=1e-3))
    """,
    "sequential_subclass_with_custom_init": """
        import torch
        from torch import nn
        class ConvNormActivation(nn.Sequential):
            def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, norm_layer=nn.BatchNorm2d,
                         activation_layer=nn.ReLU):
                padding = (kernel_size - 1) // 2
                layers = [nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding,
                                    bias=norm_layer is None)]
                if norm_layer is not None:
                    layers.append(norm_layer(out_channels))
                if activation_layer is not None:
                    layers.append(activation_layer(inplace=True))
                super().__init__(*layers)
                self.out_channels = out_channels
        # shapelens: input=(2, 3, 16, 16)
        model = nn.Sequential(ConvNormActivation(3, 8, stride=2), ConvNormActivation(8, 16, norm_layer=None),
                              nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 2))
    """,
    "dense_block_moduledict_add_module_loop": """
        import torch
        from torch import nn
        class _DenseLayer(nn.Module):
            def __init__(self, num_input_features, growth_rate, bn_size):
                super().__init__()
                self.norm1 = nn.BatchNorm2d(num_input_features)
                self.relu1 = nn.ReLU(inplace=True)
                self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, kernel_size=1, bias=False)
                self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
                self.relu2 = nn.ReLU(inplace=True)
                self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, padding=1, bias=False)
            def forward(self, inputs):
                prev = torch.cat(inputs, 1)
                out = self.conv1(self.relu1(self.norm1(prev)))
                return self.conv2(self.relu2(self.norm2(out)))
        class _DenseBlock(nn.ModuleDict):
            def __init__(self, num_layers, num_input_features, bn_size, growth_rate):
                super().__init__()
                for i in range(num_layers):
                    layer = _DenseLayer(num_input_features + i * growth_rate, growth_rate, bn_size)
                    self.add_module("denselayer%d" % (i + 1), layer)
            def forward(self, init_features):
                features = [init_features]
                for name, layer in self.items():
                    features.append(layer(features))
                return torch.cat(features, 1)
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv0 = nn.Conv2d(3, 8, 3, padding=1)
                self.block = _DenseBlock(3, 8, 2, 4)
                self.fc = nn.Linear(8 + 3 * 4, 2)
            def forward(self, x):
                x = self.block(self.conv0(x))
                return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))
        # shapelens: input=(2, 3, 8, 8)
        model = Net()
    """,
    "inverted_residual_config_loop_and_stack": """
        import torch
        from torch import nn
        def _make_divisible(v, divisor, min_value=None):
            if min_value is None:
                min_value = divisor
            new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
            if new_v < 0.9 * v:
                new_v += divisor
            return new_v
        class InvertedResidual(nn.Module):
            def __init__(self, inp, oup, stride, expand_ratio):
                super().__init__()
                hidden = int(round(inp * expand_ratio))
                self.use_res_connect = stride == 1 and inp == oup
                layers = []
                if expand_ratio != 1:
                    layers += [nn.Conv2d(inp, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(inplace=True)]
                layers += [nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden),
                           nn.ReLU6(inplace=True), nn.Conv2d(hidden, oup, 1, bias=False), nn.BatchNorm2d(oup)]
                self.conv = nn.Sequential(*layers)
            def forward(self, x):
                return x + self.conv(x) if self.use_res_connect else self.conv(x)
        def _stack(in_ch, out_ch, exp_factor, repeats, stride):
            first = InvertedResidual(in_ch, out_ch, stride, exp_factor)
            remaining = []
            for _ in range(1, repeats):
                remaining.append(InvertedResidual(out_ch, out_ch, 1, exp_factor))
            return nn.Sequential(first, *remaining)
        class MobileNet(nn.Module):
            def __init__(self, width_mult=1.0, num_classes=5):
                super().__init__()
                settings = [[1, 8, 1, 1], [6, 12, 2, 2], [6, 16, 2, 2]]
                input_channel = _make_divisible(16 * width_mult, 8)
                features = [nn.Conv2d(3, input_channel, 3, 2, 1, bias=False)]
                for t, c, n, s in settings:
                    output_channel = _make_divisible(c * width_mult, 8)
                    for i in range(n):
                        stride = s if i == 0 else 1
                        features.append(InvertedResidual(input_channel, output_channel, stride, expand_ratio=t))
                        input_channel = output_channel
                features.append(_stack(input_channel, 24, 3, 2, 1))
                self.features = nn.Sequential(*features)
                self.classifier = nn.Linear(24, num_classes)
            def forward(self, x):
                x = nn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
                return self.classifier(torch.flatten(x, 1))
        # shapelens: input=(2, 3, 32, 32)
        model = MobileNet(width_mult=0.75)
    """,
    "getattr_nn_rnn_type_and_inheritance": """
        import torch
        import torch.nn as nn
        class Base(nn.Module):
            hidden = 16
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.encoder = nn.Embedding(50, 8)
        class RNNModel(Base):
            def __init__(self, rnn_type, nlayers, **kwargs):
                super().__init__(**kwargs)
                self.rnn = getattr(nn, rnn_type)(8, self.hidden, nlayers)
                self.decoder = nn.Linear(self.hidden, 50)
            def forward(self, x):
                emb = self.encoder(x)
                out, _ = self.rnn(emb)
                return self.decoder(out)
        # shapelens: input=(5, 2)
        model = RNNModel("LSTM", 2)
        # shapelens: input=(5, 2)
        model_gru = RNNModel("GRU", 1)
    """,
    "user_blocks_in_module_level_sequential": """
        import torch
        from torch import nn
        class G_block(nn.Module):
            def __init__(self, out_channels, in_channels=3, kernel_size=4, strides=2, padding=1, **kwargs):
                super().__init__(**kwargs)
                self.conv2d_trans = nn.ConvTranspose2d(in_channels, out_channels, kernel_size, strides, padding,
                                                       bias=False)
                self.batch_norm = nn.BatchNorm2d(out_channels)
                self.activation = nn.ReLU()
            def forward(self, X):
                return self.activation(self.batch_norm(self.conv2d_trans(X)))
        n_G = 8
        # shapelens: input=(2, 10, 1, 1)
        net_G = nn.Sequential(
            G_block(in_channels=10, out_channels=n_G * 4, strides=1, padding=0),
            G_block(in_channels=n_G * 4, out_channels=n_G * 2),
            nn.ConvTranspose2d(in_channels=n_G * 2, out_channels=3, kernel_size=4, stride=2, padding=1, bias=False),
            nn.Tanh())
    """,
    "keras_builder_with_default_and_given_shape": """
        import keras
        from keras import layers
        def make_model(input_shape=(8,), num_classes=3):
            inputs = keras.Input(shape=input_shape)
            x = layers.Dense(16, activation="relu")(inputs)
            return keras.Model(inputs, layers.Dense(num_classes)(x))
        model = make_model((12,), num_classes=2)
        small = make_model()
    """,
    "keras_tensorflow_imports_and_applications_style": """
        from tensorflow.keras import layers
        from tensorflow.keras.models import Model
        from keras.src.models import Functional
        def stack(x, filters, name):
            x = layers.Conv2D(filters, 3, padding="same", name=name + "_conv")(x)
            return layers.BatchNormalization(name=name + "_bn")(x)
        def Tiny(input_shape=None, classes=4):
            img_input = layers.Input(shape=input_shape)
            x = stack(img_input, 8, "s1")
            x = stack(x, 16, "s2")
            x = layers.GlobalAveragePooling2D()(x)
            return Functional(img_input, layers.Dense(classes)(x), name="tiny")
        model = Tiny(input_shape=(16, 16, 3))
        other = Model(model.input, model.output)
    """,
    "hand_written_attention_gpt_block": """
        import math
        import torch
        import torch.nn as nn
        from torch.nn import functional as F
        class CausalSelfAttention(nn.Module):
            def __init__(self, n_embd, n_head, block_size):
                super().__init__()
                assert n_embd % n_head == 0
                self.c_attn = nn.Linear(n_embd, 3 * n_embd)
                self.c_proj = nn.Linear(n_embd, n_embd)
                self.n_head = n_head
                self.n_embd = n_embd
                self.register_buffer("bias", torch.tril(torch.ones(block_size, block_size))
                                     .view(1, 1, block_size, block_size))
            def forward(self, x):
                B, T, C = x.size()
                q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
                k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
                q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
                v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
                att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
                att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
                att = F.softmax(att, dim=-1)
                y = att @ v
                y = y.transpose(1, 2).contiguous().view(B, T, C)
                return self.c_proj(y)
        class Block(nn.Module):
            def __init__(self, n_embd, n_head, block_size):
                super().__init__()
                self.ln_1 = nn.LayerNorm(n_embd)
                self.attn = CausalSelfAttention(n_embd, n_head, block_size)
                self.ln_2 = nn.LayerNorm(n_embd)
                self.mlp = nn.ModuleDict(dict(c_fc=nn.Linear(n_embd, 4 * n_embd), c_proj=nn.Linear(4 * n_embd, n_embd),
                                              act=nn.GELU()))
                m = self.mlp
                self.mlpf = lambda x: m.c_proj(m.act(m.c_fc(x)))
            def forward(self, x):
                x = x + self.attn(self.ln_1(x))
                x = x + self.mlpf(self.ln_2(x))
                return x
        # shapelens: input=(2, 5, 16)
        model = Block(16, 4, 8)
    """,
    "einsum_and_sdpa_attention": """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        class Attention(nn.Module):
            def __init__(self, dim, heads):
                super().__init__()
                self.heads = heads
                self.qkv = nn.Linear(dim, dim * 3, bias=False)
                self.out = nn.Linear(dim, dim)
            def forward(self, x):
                b, n, d = x.shape
                qkv = self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
                q, k, v = qkv.unbind(0) if False else (qkv[0], qkv[1], qkv[2])
                scores = torch.einsum("bhid,bhjd->bhij", q, k)
                y = F.scaled_dot_product_attention(q, k, v)
                y = y.transpose(1, 2).reshape(b, n, d)
                return self.out(y) + scores.mean()
        # shapelens: input=(2, 7, 32)
        model = Attention(32, 4)
    """,
    "replace_modules_through_the_registry": """
        # torchvision.models.quantization.utils._replace_relu and MobileNetV3's config check, verbatim in spirit
        from collections.abc import Sequence
        import torch.nn as nn
        def _replace_relu(module):
            reassign = {}
            for name, mod in module.named_children():
                _replace_relu(mod)
                if type(mod) is nn.ReLU or type(mod) is nn.ReLU6:
                    reassign[name] = nn.ReLU(inplace=False)
            for key, value in reassign.items():
                module._modules[key] = value
        class Net(nn.Module):
            def __init__(self, widths):
                super().__init__()
                if not (isinstance(widths, Sequence) and all(isinstance(w, int) for w in widths)):
                    raise TypeError("widths")
                self.features = nn.Sequential(nn.Conv2d(3, widths[0], 3), nn.ReLU6(inplace=True),
                                              nn.Conv2d(widths[0], widths[1], 3), nn.BatchNorm2d(widths[1]))
                self.act = nn.ReLU6()
                for m in self.modules():
                    if isinstance(m, nn.modules.conv._ConvNd):
                        m.weight.requires_grad_(False)
                    elif isinstance(m, nn.modules.batchnorm._BatchNorm):
                        nn.init.ones_(m.weight)
                if "act" in self._modules and len(self._modules) == 2:
                    self._modules["extra"] = nn.Linear(10, 4)
            def forward(self, x):
                return self.act(self.features(x))
        # shapelens: input=(2, 3, 16, 16)
        model = Net([8, 16])
        _replace_relu(model)
    """,
    # torchvision's efficientnet.py: a config class whose __init__ adjusts its arguments and hands them to
    # the __init__ @dataclass wrote for its base; blocks with stochastic depth (bernoulli_ on a new tensor)
    "dataclass_base_init_through_super_and_stochastic_depth": """
        from dataclasses import dataclass
        import torch
        import torch.nn as nn
        @dataclass
        class _Cfg:
            expand: float
            channels: int
            layers: int
        class Cfg(_Cfg):
            def __init__(self, expand, channels, layers, width_mult=1.0):
                channels = int(channels * width_mult)
                super().__init__(expand, channels, layers)
        class Drop(nn.Module):
            def forward(self, x):
                noise = x.new_empty([x.shape[0], 1, 1, 1]).bernoulli_(0.8)
                return x * noise.div_(0.8)
        class Net(nn.Module):
            def __init__(self, cfgs):
                super().__init__()
                layers, cin = [], 3
                for cfg in cfgs:
                    hidden = int(cfg.channels * cfg.expand)
                    for _ in range(cfg.layers):
                        layers += [nn.Conv2d(cin, hidden, 3, padding=1), nn.Conv2d(hidden, cfg.channels, 1), Drop()]
                        cin = cfg.channels
                self.features = nn.Sequential(*layers)
            def forward(self, x):
                return self.features(x)
        # shapelens: input=(2, 3, 16, 16)
        model = Net([Cfg(1.0, 8, 1), Cfg(2.0, 16, 2, width_mult=1.5)])
    """,
    # torchvision's quantizable models before convert(): QuantStub / DeQuantStub around the network, a
    # FloatFunctional for the residual add (its activation_post_process is a row of its own)
    "eager_quantization_stubs_and_float_functional": """
        import torch
        import torch.nn as nn
        from torch.ao.quantization import DeQuantStub, QuantStub
        class Block(nn.Module):
            def __init__(self, c):
                super().__init__()
                self.conv = nn.Conv2d(c, c, 3, padding=1)
                self.skip_add = nn.quantized.FloatFunctional()
                self.cat = torch.ao.nn.quantized.FloatFunctional()
            def forward(self, x):
                y = self.skip_add.add(x, self.conv(x))
                y = self.skip_add.add_relu(y, x)
                return self.cat.cat([y, self.skip_add.mul_scalar(x, 0.5)], 1)
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.quant = QuantStub()
                self.block = Block(4)
                self.fc = nn.Linear(8, 3)
                self.dequant = torch.quantization.DeQuantStub()
            def forward(self, x):
                x = self.block(self.quant(x))
                return self.dequant(self.fc(x.mean((2, 3))))
        # shapelens: input=(2, 4, 6, 6)
        model = Net()
    """,
    # timm's drop-path schedule: [x.item() for x in torch.linspace(0, drop_path_rate, depth)] with the
    # default rate 0. decides `DropPath(r) if r > 0. else nn.Identity()`; torch.arange(...).tolist()
    "linspace_drop_path_rates_and_arange_values": """
        import torch
        import torch.nn as nn


        class DropPath(nn.Module):
            def __init__(self, p):
                super().__init__()
                self.p = p

            def forward(self, x):
                return x


        class Net(nn.Module):
            def __init__(self, depth=3, drop_path_rate=0.):
                super().__init__()
                dpr = [x.item() for x in torch.linspace(0, drop_path_rate, depth)]
                self.blocks = nn.Sequential(*[nn.Sequential(nn.Linear(8, 8), DropPath(d) if d > 0. else nn.Identity())
                                              for d in dpr])
                ids = torch.arange(3).tolist()
                self.head = nn.Linear(8, 2 + ids[-1])

            def forward(self, x):
                return self.head(self.blocks(x))
        # shapelens: input=(2, 8)
        model = Net()
    """,
    # torchvision's MaxViT: drop-path rates from np.linspace(...).tolist(), blocks added with
    # `self.layers += [...]` on an nn.ModuleList (its __iadd__ is extend)
    "module_list_iadd_and_numpy_linspace_tolist": """
        import numpy as np
        import torch.nn as nn
        class Block(nn.Module):
            def __init__(self, dim, depth, p_max):
                super().__init__()
                self.layers = nn.ModuleList()
                for idx, p in enumerate(np.linspace(0, p_max, depth).tolist()):
                    self.layers += [nn.Sequential(nn.Linear(dim, dim), nn.Dropout(p))]
            def forward(self, x):
                for layer in self.layers:
                    x = layer(x)
                return x
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.blocks = nn.ModuleList([Block(8, 3, 0.2), Block(8, 2, 0.0)])
                self.head = nn.Linear(8, 2)
            def forward(self, x):
                for b in self.blocks:
                    x = b(x)
                return self.head(x)
        # shapelens: input=(2, 8)
        model = Net()
    """,
    # torchvision's detection/backbone_utils.py: the backbone looked up in a module's __dict__ by name, then
    # frozen by parameter name (every name not under the layers to train)
    "builder_from_a_module_dict_and_freezing_by_name": """
        import sys
        import torch.nn as nn
        def small(width=8):
            return nn.Sequential(nn.Linear(4, width), nn.ReLU(), nn.Linear(width, 2))
        def build(name, trainable=("2",), **kwargs):
            backbone = sys.modules[__name__].__dict__[name](**kwargs)
            for pname, parameter in backbone.named_parameters():
                if all([not pname.startswith(layer) for layer in trainable]):
                    parameter.requires_grad_(False)
            return backbone
        # shapelens: input=(2, 4)
        model = build("small", width=16)
    """,
    "timm_style_registry_and_builder": """
        # timm's pattern (models/_registry.py, _builder.py, layers/create_norm_act.py), condensed: a decorator
        # registers each entry point with the default cfg it finds through sys.modules[fn.__module__]; the
        # builder resolves the cfg (dataclasses.replace, asdict), fills kwargs (setdefault in a loop over
        # names that depend on the cfg), and norm layers are looked up by name, class and partial
        import sys
        import types
        import functools
        from collections import defaultdict, deque
        from dataclasses import dataclass, field, replace, asdict
        from functools import partial
        import torch
        import torch.nn as nn
        import torch.nn.functional as F

        @dataclass
        class PretrainedCfg:
            input_size: tuple = (3, 224, 224)
            num_classes: int = 1000
            fixed_input_size: bool = False
            architecture: str = None
            tags: deque = field(default_factory=deque)

        _entrypoints = {}
        _cfgs = {}
        _module_to_models = defaultdict(set)

        def register_model(fn):
            mod = sys.modules[fn.__module__]
            _entrypoints[fn.__name__] = fn
            _module_to_models[fn.__module__.split(".")[-1]].add(fn.__name__)
            if hasattr(mod, "default_cfgs") and fn.__name__ in mod.default_cfgs:
                cfg = mod.default_cfgs[fn.__name__]
                cfg.tags.appendleft("")
                _cfgs[fn.__name__] = replace(cfg, architecture=fn.__name__)
            return fn

        class BatchNormAct2d(nn.BatchNorm2d):
            def __init__(self, num_features, eps=1e-5, act_layer=nn.ReLU, inplace=True):
                super().__init__(num_features, eps=eps)
                self.act = act_layer(inplace=inplace) if act_layer is not None else nn.Identity()
            def forward(self, x):
                x = F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                                 self.training, self.momentum, self.eps)
                return self.act(x)

        _NORM_ACT_MAP = dict(batchnorm=BatchNormAct2d, batchnorm2d=BatchNormAct2d)
        _NORM_ACT_TYPES = {m for n, m in _NORM_ACT_MAP.items()}
        _has_hardsigmoid = 'hardsigmoid' in dir(torch.nn.functional)

        def get_norm_act_layer(norm_layer, act_layer=None):
            assert isinstance(norm_layer, (type, str, types.FunctionType, functools.partial))
            kwargs = {}
            if isinstance(norm_layer, functools.partial):
                kwargs.update(norm_layer.keywords)
                norm_layer = norm_layer.func
            if isinstance(norm_layer, str):
                norm_act_layer = _NORM_ACT_MAP[norm_layer.replace('_', '').lower()]
            elif norm_layer in _NORM_ACT_TYPES:
                norm_act_layer = norm_layer
            else:
                norm_act_layer = {"batchnorm2d": BatchNormAct2d}.get(norm_layer.__name__.lower())
            if act_layer is not None:
                kwargs.setdefault('act_layer', act_layer)
            return functools.partial(norm_act_layer, **kwargs) if kwargs else norm_act_layer

        class Net(nn.Module):
            def __init__(self, num_classes=1000, in_chans=3, norm_layer='batchnorm2d', width=8):
                super().__init__()
                norm_layer = partial(get_norm_act_layer(norm_layer, act_layer=nn.ReLU), eps=.001)
                head_norm = partial(get_norm_act_layer(norm_layer, act_layer=nn.Hardsigmoid if _has_hardsigmoid
                                                       else nn.Sigmoid), inplace=False)
                self.conv = nn.Conv2d(in_chans, width, 3, padding=1, bias=False)
                self.bn = norm_layer(width)
                self.head_bn = head_norm(width)
                self.fc = nn.Linear(width, num_classes)
            def forward(self, x):
                x = self.head_bn(self.bn(self.conv(x)))
                return self.fc(x.mean((2, 3)))

        def build_model_with_cfg(model_cls, variant, **kwargs):
            cfg = asdict(_cfgs.get(variant) or PretrainedCfg())
            names = ('num_classes', 'in_chans')
            if cfg.get('fixed_input_size', False):
                names += ('img_size',)
            for n in names:
                if n == 'in_chans':
                    kwargs.setdefault(n, cfg['input_size'][0])
                elif n in cfg:
                    kwargs.setdefault(n, cfg[n])
            features = kwargs.pop('features_only', False)
            model = model_cls(**kwargs)
            if features:
                model = nn.Sequential(model)
            return model

        default_cfgs = {'tiny_net': PretrainedCfg(input_size=(1, 32, 32)), 'big_net': PretrainedCfg()}

        @register_model
        def tiny_net(**kwargs):
            return build_model_with_cfg(Net, 'tiny_net', width=4, **kwargs)

        @register_model
        def big_net(**kwargs):
            return build_model_with_cfg(Net, 'big_net', **kwargs)

        # shapelens: input=(2, 1, 32, 32)
        model = tiny_net(num_classes=10)
        # shapelens: input=(2, 3, 16, 16)
        model_big = _entrypoints['big_net']()
    """,
}

# The source of each idiom runs in real Keras with `tensorflow.keras` mapped to Keras 3 (no TensorFlow here).
TF_ALIASES = {"from tensorflow.keras import": "from keras import", "from tensorflow.keras.models import":
              "from keras.models import"}


def _source(name: str) -> str:
    return textwrap.dedent(IDIOMS[name])


@pytest.mark.parametrize("name", sorted(IDIOMS))
def test_idiom_matches_the_framework(name):
    source = _source(name)
    runnable = source
    for a, b in TF_ALIASES.items():
        runnable = runnable.replace(a, b)
    models = check_against_frameworks(source) if runnable == source else None
    if models is None:   # analyse the source as written, run the Keras 3 spelling of it
        from realcheck import compare_keras, real_object, run_source

        result = analyze_source(source, "<idiom>")
        assert not [d for d in result.diagnostics if d.severity == "error"]
        ns = run_source(runnable)
        problems = [p for r in result.models for p in compare_keras(r, real_object(ns, r))]
        assert not problems, problems
        models = result.models
    assert models, "no model found"
    assert all(m.total_params is not None for m in models), [(m.name, m.total_params) for m in models]


def test_annotated_hints_of_the_add_module_idiom():
    check(_source("torch_add_module_in_loops"), strict_diagnostics=False)


def test_every_model_of_an_idiom_is_found_under_its_name():
    names = {m.name for m in analyze_source(_source("vgg_make_layers_cfgs")).models}
    assert {"model", "model_bn"} <= names
    names = {m.name for m in analyze_source(_source("keras_builder_with_default_and_given_shape")).models}
    assert {"model", "small"} <= names


# ---------------------------------------------------------------- never a wrong number

UNKNOWABLE = {
    "a child replaced by a value known only at run time": """
        import os
        import torch.nn as nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = nn.ModuleList([nn.Linear(4, 4)])
                self.layers = getattr(nn, os.environ.get("KIND", "ModuleList"))([nn.Linear(4, 8)])
                self.head = nn.Linear(8, 2)
        model = Net()
    """,
    "layers added in a loop of unknown length": """
        import torch.nn as nn
        def build(n):
            layers = []
            for _ in range(n):
                layers.append(nn.Linear(4, 4))
            return nn.Sequential(*layers)
        model = build(int(input()))
    """,
    "add_module in a while loop": """
        import torch.nn as nn
        model = nn.Sequential()
        i = 0
        while True:
            model.add_module(f"l{i}", nn.Linear(4, 4))
            i += 1
    """,
    "a layer added under a run-time condition": """
        import sys
        import keras
        from keras import layers
        model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(4)])
        if sys.argv[1] == "bn":
            model.add(layers.BatchNormalization())
    """,
    "a module from another library": """
        import torch.nn as nn
        import timm_like_library_not_here as lib
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.backbone = lib.create_model("resnet18")
                self.head = nn.Linear(512, 10)
            def forward(self, x):
                return self.head(self.backbone(x))
        model = Net()
    """,
    "a helper from a file that is not there": """
        import torch.nn as nn
        from .blocks import ConvBlock
        model = nn.Sequential(ConvBlock(3, 8), nn.ReLU())
    """,
    "a base class __init__ that raises": """
        import torch.nn as nn
        class Base(nn.Module):
            def __init__(self, setting):
                super().__init__()
                if not setting:
                    raise ValueError("The setting should not be empty")
                self.fc = nn.Linear(4, 4)
        class Net(Base):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.extra = nn.Identity()
        model = Net([])
    """,
    "a child set through __dict__, then tested with hasattr": """
        import torch.nn as nn
        class B(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(4, 8, 3, padding=1)
                self.__dict__['extra'] = nn.Conv2d(8, 16, 1)
            def forward(self, x):
                x = self.conv(x)
                return self.extra(x) if hasattr(self, 'extra') else x
        # shapelens: input=(2, 4, 8, 8)
        model = B()
    """,
    "a child replaced by set_submodule": """
        import torch.nn as nn
        model = nn.Sequential(nn.Linear(4, 4), nn.ReLU())
        model.set_submodule("0", nn.Linear(4, 64))
    """,
    "a loop of 10**9 iterations": """
        import torch.nn as nn
        model = nn.Sequential()
        for i in range(10 ** 9):
            model.append(nn.Linear(4, 4))
    """,
}


@pytest.mark.parametrize("name", sorted(UNKNOWABLE))
def test_an_unknowable_model_has_no_total(name):
    result = analyze_source(textwrap.dedent(UNKNOWABLE[name]), "<unknowable>")
    assert result.models, "the model is still shown"
    for m in result.models:
        assert m.total_params is None, (m.name, m.total_params)
        reasons = [r for l in m.layers for r in l.unknown_reasons]
        assert reasons, "the ? has a reason"


def test_a_recursive_helper_ends():
    source = textwrap.dedent("""
        import torch.nn as nn
        def deep(n):
            return nn.Sequential(nn.Linear(4, 4), deep(n + 1))
        model = deep(0)
    """)
    result = analyze_source(source, "<recursive>")
    assert all(m.total_params is None for m in result.models)


def test_functions_nobody_calls_share_one_budget(monkeypatch):
    """timm registers hundreds of builders nobody in the file calls; each run with its defaults may spend its
    own budget. In one unit (timm's files read their own module: the whole file is one) they share one:
    past it the rest are not run, with one SL001 saying so, and the models the file names are still
    analysed (vision_transformer.py: 125 s -> 13 s)."""
    from shapelens.analysis.interp import models

    monkeypatch.setattr(models, "SPECULATIVE_TOTAL", 150_000)
    builders = "\n".join(f"""
        def big_{i}():
            layers = []
            for _ in range(200):
                for _ in range(200):
                    layers.append(nn.Linear({i + 4}, {i + 4}))
            return nn.Sequential(*layers)""" for i in range(12))
    source = textwrap.dedent("""
        import sys
        import torch.nn as nn
        _registry = sys.modules[__name__]   # the file reads its own module (timm's registry): one unit
        """ + builders + """
        # shapelens: input=(2, 3)
        model = nn.Sequential(nn.Linear(3, 5))
    """)
    result = analyze_source(source, "<builders>")
    notes = [d for d in result.diagnostics if d.code == "SL001" and "functions nobody calls" in d.message]
    assert len(notes) == 1 and "and 9 more functions" in notes[0].message, [d.message for d in result.diagnostics]
    model = next(m for m in result.models if m.name == "model")
    assert model.total_params == 3 * 5 + 5


def test_parametrizations_weight_norm_counts_as_torch_does():
    """torch.nn.utils.parametrizations.weight_norm makes the layer a ParametrizedConv1d whose weight comes
    from a parametrization module (torch lists those as modules of their own); shapelens keeps the layer one
    row, with torch's count: the weight's v plus g, one number per index of dim (torchaudio's wav2vec2)."""
    torch = pytest.importorskip("torch")
    source = textwrap.dedent("""\
        import torch.nn as nn
        class PosConv(nn.Module):
            def __init__(self, dim, kernel, groups):
                super().__init__()
                self.conv = nn.Conv1d(dim, dim, kernel, padding=kernel // 2, groups=groups)
                self.conv = nn.utils.parametrizations.weight_norm(self.conv, name="weight", dim=2)
                self.head = nn.utils.parametrizations.weight_norm(nn.Linear(dim, 3), dim=None)
            def forward(self, x):
                return self.head(self.conv(x).transpose(1, 2))
        # shapelens: input=(2, 16, 10)
        model = PosConv(16, 8, 4)
    """)
    ns: dict = {}
    exec(compile(source, "<weight_norm>", "exec"), ns)  # noqa: S102 - our own snippet
    real = ns["model"]
    [m] = analyze_source(source, "<weight-norm>").models
    rows = {l.path: l for l in m.layers}
    assert rows["conv"].params == sum(p.numel() for p in real.conv.parameters())
    assert rows["head"].params == sum(p.numel() for p in real.head.parameters())
    assert m.total_params == sum(p.numel() for p in real.parameters())
    assert rows["head"].output_shape.text() == str(tuple(real(torch.zeros(2, 16, 10)).shape))


KERAS_BACKEND_AGNOSTIC = """
    import numpy as np
    import keras
    from keras import Model, initializers, layers, ops

    class MyDense(layers.Layer):
        def __init__(self, units, name=None):
            super().__init__(name=name)
            self.units = units
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer=initializers.GlorotNormal(),
                                     name="kernel", trainable=True)
            self.b = self.add_weight(shape=(self.units,), initializer=initializers.Zeros(), name="bias", trainable=True)
        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

    class MyDropout(layers.Layer):
        def __init__(self, rate, name=None):
            super().__init__(name=name)
            self.rate = rate
            self.seed_generator = keras.random.SeedGenerator(1337)
        def call(self, inputs):
            return keras.random.dropout(inputs, self.rate, seed=self.seed_generator)

    class MyModel(Model):
        def __init__(self, hidden_dim, output_dim):
            super().__init__()
            self.dense1 = MyDense(hidden_dim)
            self.dense2 = MyDense(hidden_dim)
            self.dense3 = MyDense(output_dim)
            self.dp = MyDropout(0.5)
        def call(self, x):
            x = ops.concatenate([self.dense1(x), self.dense2(x)], axis=-1)
            return self.dense3(self.dp(x))

    # shapelens: input=(2, 128)
    model = MyModel(hidden_dim=64, output_dim=8)
"""


def test_keras_backend_agnostic_custom_layers_match_keras():
    """keras-team/keras examples/demo_custom_layer_backend_agnostic.py's layers: a SeedGenerator holds no
    weights and keras.random.dropout keeps its input's shape, so every count and shape is Keras's."""
    import os

    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    source = textwrap.dedent(KERAS_BACKEND_AGNOSTIC)
    (m,) = analyze_source(source, "<keras-agnostic>").models
    ns: dict = {}
    exec(compile(source, "<keras-agnostic>", "exec"), ns)
    real = ns["model"]
    out = real(np.zeros((2, 128), dtype="float32"))
    assert m.total_params == real.count_params()
    assert [(l.name, l.params) for l in m.layers] == [(n, getattr(real, n).count_params()) for n in
                                                       ("dense1", "dense2", "dense3", "dp")]
    assert m.layers[2].output_shape.text() == str(tuple(out.shape))
