"""A small Fashion-MNIST classifier whose sizes all come from module-level constants."""
import torch
import torch.nn as nn

IMG = 28
C = 2 * 16
HIDDEN = 128
NUM_CLASSES = 10
FEATURES = 2 * C * (IMG // 4) * (IMG // 4)   # two 2x2 poolings: 28 -> 14 -> 7

# shapelens: input=(N, 1, IMG, IMG)
model = nn.Sequential(
    nn.Conv2d(1, C, kernel_size=3, padding=1),
    nn.GELU(),
    nn.MaxPool2d(2),
    nn.Conv2d(C, 2 * C, kernel_size=3, padding="same"),
    nn.GroupNorm(num_groups=8, num_channels=2 * C),
    nn.GELU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(FEATURES, HIDDEN),
    nn.LayerNorm(HIDDEN),
    nn.GELU(),
    nn.Dropout(0.1),
    nn.Linear(HIDDEN, NUM_CLASSES),
)
