"""Too many 2x2 poolings for a 28x28 input: 28 -> 14 -> 7 -> 3 -> 1, and the fifth pool has nothing
left to pool. Forward raises
  RuntimeError: ... Output size is too small
"""
import torch
from torch import nn


model = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),    # 14
    nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 7
    nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 3
    nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 1
    nn.Conv2d(64, 128, 3, padding=1),
    nn.ReLU(),
    nn.MaxPool2d(2),  # expect: SL101
    nn.Flatten(),
    nn.LazyLinear(10),
)

if __name__ == "__main__":
    print(model(torch.randn(2, 1, 28, 28)).shape)
