"""A small MobileNet-v1-style stack of depthwise-separable convolutions for 32x32 CIFAR images.

Each block is a depthwise 3x3 convolution (groups = channels, one filter per channel) followed by a
pointwise 1x1 convolution that mixes the channels. Widths come from module constants.
"""
import torch
import torch.nn as nn

C = 2 * 16            # stem width
WIDTH_MULT = 2
NUM_CLASSES = 10

model = nn.Sequential(
    # stem: ordinary 3x3 conv, stride 2: 32 -> 16
    nn.Conv2d(3, C, kernel_size=3, stride=2, padding=1, bias=False),
    nn.BatchNorm2d(C),
    nn.ReLU6(inplace=True),
    # depthwise-separable block 1: C -> 2C, 16x16
    nn.Conv2d(C, C, kernel_size=3, padding=1, groups=C, bias=False),          # depthwise
    nn.BatchNorm2d(C),
    nn.ReLU6(inplace=True),
    nn.Conv2d(C, C * WIDTH_MULT, kernel_size=1, bias=False),                  # pointwise
    nn.BatchNorm2d(C * WIDTH_MULT),
    nn.ReLU6(inplace=True),
    # depthwise-separable block 2, strided: 16 -> 8, 2C -> 4C
    nn.Conv2d(2 * C, 2 * C, kernel_size=3, stride=2, padding=1, groups=2 * C, bias=False),
    nn.BatchNorm2d(2 * C),
    nn.ReLU6(inplace=True),
    nn.Conv2d(2 * C, 4 * C, kernel_size=1, bias=False),
    nn.BatchNorm2d(4 * C),
    nn.ReLU6(inplace=True),
    # a channel-multiplier-2 depthwise conv (groups=in_channels, out = 2 * in)
    nn.Conv2d(4 * C, 8 * C, kernel_size=3, padding=1, groups=4 * C, bias=False),
    nn.BatchNorm2d(8 * C),
    nn.ReLU6(inplace=True),
    nn.AdaptiveAvgPool2d(1),
    nn.Flatten(),
    nn.Dropout(0.2),
    nn.Linear(8 * C, NUM_CLASSES),
)

if __name__ == "__main__":
    print(model(torch.randn(2, 3, 32, 32)).shape)
