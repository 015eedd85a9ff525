"""Broken: a residual block that halves the resolution and doubles the width but adds the untouched input
back (no projection shortcut): (1, 64, 16, 16) + (1, 32, 32, 32) cannot be added."""
import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, in_ch, out_ch, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out = out + x  # !! SL111
        return torch.relu(out)


block = Block(32, 64, stride=2)
y = block(torch.randn(1, 32, 32, 32))
