"""Caffe's examples/mnist/lenet.prototxt (seed article 004) as a PyTorch model.

The layer names are the prototxt's, so the printed model reads like the Caffe log:
  Top shape: 64 20 24 24   (conv1)
  Top shape: 64 20 12 12   (pool1)
  Top shape: 64 50 4 4     (pool2)
  Top shape: 64 500        (ip1, relu1 in place)
"""
from collections import OrderedDict

import torch
import torch.nn as nn

model = nn.Sequential(OrderedDict([
    ("conv1", nn.Conv2d(1, 20, kernel_size=5, stride=1)),
    ("pool1", nn.MaxPool2d(kernel_size=2, stride=2)),
    ("conv2", nn.Conv2d(20, 50, kernel_size=5, stride=1)),
    ("pool2", nn.MaxPool2d(kernel_size=2, stride=2)),
    ("flatten", nn.Flatten()),
    ("ip1", nn.Linear(50 * 4 * 4, 500)),
    ("relu1", nn.ReLU(inplace=True)),
    ("ip2", nn.Linear(500, 10)),
]))

if __name__ == "__main__":
    from torchinfo import summary

    # Caffe's data layer: batch 64, 1x28x28
    summary(model, input_size=(64, 1, 28, 28))
