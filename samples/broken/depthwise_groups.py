"""A "depthwise" convolution whose output width is not a multiple of its groups. torch raises at
construction:
  ValueError: out_channels must be divisible by groups
"""
import torch
import torch.nn as nn

CH = 32

model = nn.Sequential(
    nn.Conv2d(3, CH, 3, padding=1),
    nn.Conv2d(CH, 48, kernel_size=3, padding=1, groups=CH),  # expect: SL107
    nn.Conv2d(48, 64, kernel_size=1),
)

if __name__ == "__main__":
    print(model(torch.randn(2, 3, 32, 32)).shape)
