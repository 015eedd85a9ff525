"""A second convolution that declares the channels of an older version of the first one
(conv1 was widened from 32 to 64 filters, conv2 was not updated). Forward raises
  RuntimeError: Given groups=1, weight of size [64, 32, 3, 3], expected input[4, 64, 30, 30] to have 32 channels
"""
import torch
import torch.nn as nn

# shapelens: input=(4, 3, 32, 32)
model = nn.Sequential(
    nn.Conv2d(3, 64, kernel_size=3),
    nn.ReLU(inplace=True),
    nn.Conv2d(32, 64, kernel_size=3),  # expect: SL105
    nn.ReLU(inplace=True),
    nn.AdaptiveAvgPool2d(1),
    nn.Flatten(),
    nn.Linear(64, 10),
)
