"""The analysis never raises, whatever the text: half-typed code, garbage, absurd sizes, deep nesting.
(conftest sets SHAPELENS_STRICT=1, so an internal error raises here instead of becoming a message.)"""
from __future__ import annotations

import textwrap

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shapelens.analysis import analyze_source

CORPUS = textwrap.dedent('''
    import torch
    import torch.nn as nn
    from collections import OrderedDict
    from tensorflow import keras
    from keras import layers

    C = 2 * 16
    NUM_CLASSES = 10

    # shapelens: input=(N, 3, 32, 32)
    model = nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(3, C, kernel_size=3, padding=1)),
        ("bn1", nn.BatchNorm2d(C)),
        ("pool", nn.MaxPool2d(2, ceil_mode=True)),
    ]), nn.Flatten(), nn.Linear(C * 16 * 16, NUM_CLASSES))

    blocks = [nn.Conv1d(4, 4, 3, padding="same") for _ in range(3)]
    audio = nn.Sequential(*blocks, nn.AdaptiveAvgPool1d(1))
    audio(torch.randn(2, 4, 100))

    k = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(8, 3, strides=2), layers.Flatten(),
                          layers.Dense(NUM_CLASSES)])
    m = keras.Sequential()
    m.add(layers.Embedding(1000, 64, input_length=20))
    m.add(layers.LSTM(32))
''')


def test_absurd_values_and_garbage():
    texts = [
        "import torch.nn as nn\nm = nn.Sequential(nn.Linear(10**12, 10**12))\n",
        "import torch.nn as nn\nm = nn.Sequential(nn.Linear(10**10**10, 2))\n",
        "import torch.nn as nn\nm = nn.Sequential(nn.Linear(-5, 0), nn.Conv2d('a', None, (1, 2, 3)))\n",
        "import torch.nn as nn\n# shapelens: input=(1, 3, 10**9, 10**9)\nm = nn.Sequential(nn.Conv2d(3, 3, 3))\n",
        "m = nn.Sequential(" + "nn.Sequential(" * 300 + ")" * 300 + ")\n",
        "x = " + "(" * 1000 + "1" + ")" * 1000 + "\n",
        "\x00\x01\x02 binary \xff garbage \x00\n" * 50,
        "def f(:\n  nn.Sequential(nn.Linear(1,\n",
        "import torch.nn as nn\nfor i in range(10**9):\n    layers.append(nn.Linear(1, 1))\n",
        "import torch.nn as nn\nL = [nn.ReLU()] * 10**8\nm = nn.Sequential(*L)\n",
        "",
        "\n\n\n",
        "class A(nn.Module):\n    def forward(self, x):\n        return self.l(x)\n",
    ]
    for text in texts:
        analyze_source(text)


def test_large_file():
    text = CORPUS * 200  # ~6,000 lines
    result = analyze_source(text)
    assert len(result.models) == 4 * 200  # model, audio, k, m in each copy


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_edits_never_raise(data):
    text = CORPUS
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(text)))
        j = data.draw(st.integers(i, min(len(text), i + 40)))
        insert = data.draw(st.sampled_from(["", "(", ")", "[", "]", ",", "0", "-1", "nn.", "'", '"""', "\n",
                                            "    ", "x", ":", "**", "=", "lambda", "*"]))
        text = text[:i] + insert + text[j:]
    analyze_source(text)
