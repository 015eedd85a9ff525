"""Broken: torch.flatten in forward gives 16*5*5 = 400 features, but fc1 was declared for 16*4*4 = 256
(torch: "mat1 and mat2 shapes cannot be multiplied (2x400 and 256x120)")."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class LeNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 4 * 4, 120)
        self.fc2 = nn.Linear(120, num_classes)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))  # !! SL106
        return self.fc2(x)


net = LeNet()
out = net(torch.randn(2, 3, 32, 32))
