"""Broken: LeNet whose view() assumes 6x6 feature maps, but a 32x32 input leaves 16x5x5 = 400 values per
sample, not a multiple of 16*6*6 = 576 (torch: "shape '[-1, 576]' is invalid for input of size 400")."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 6 * 6, 120)
        self.fc2 = nn.Linear(120, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, 16 * 6 * 6)  # !! SL111
        x = F.relu(self.fc1(x))
        return self.fc2(x)


net = LeNet()
out = net(torch.randn(1, 1, 32, 32))
