"""BatchNorm2d sized for the conv's *input* channels instead of its output channels. Forward raises
  RuntimeError: running_mean should contain 64 elements not 32
"""
import torch
import torch.nn as nn

IN_CH = 32
OUT_CH = 64

block = nn.Sequential(
    nn.Conv2d(IN_CH, OUT_CH, kernel_size=3, padding=1, bias=False),
    nn.BatchNorm2d(IN_CH),  # expect: SL105
    nn.ReLU(inplace=True),
)

if __name__ == "__main__":
    print(block(torch.randn(2, IN_CH, 16, 16)).shape)
