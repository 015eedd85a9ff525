"""Caffe's examples/cifar10/cifar10_quick_train_test.prototxt in PyTorch.

Caffe's pooling rounds the output size up, so the pools use ceil_mode=True: 32 -> 16 -> 8 -> 4.
"""
import torch
import torch.nn as nn

model = nn.Sequential(
    nn.Conv2d(3, 32, kernel_size=5, padding=2),                 # conv1
    nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),      # pool1: 16x16
    nn.ReLU(),
    nn.Conv2d(32, 32, kernel_size=5, padding=2),                # conv2
    nn.ReLU(),
    nn.AvgPool2d(kernel_size=3, stride=2, ceil_mode=True),      # pool2: 8x8
    nn.Conv2d(32, 64, kernel_size=5, padding=2),                # conv3
    nn.ReLU(),
    nn.AvgPool2d(kernel_size=3, stride=2, ceil_mode=True),      # pool3: 4x4
    nn.Flatten(),
    nn.Linear(64 * 4 * 4, 64),                                  # ip1
    nn.Linear(64, 10),                                          # ip2
)

if __name__ == "__main__":
    images = torch.randn(100, 3, 32, 32)   # Caffe's test batch
    scores = model(images)
    print(scores.shape)
