"""The MNIST CNN from the Lasagne question of seed article 002, rewritten in PyTorch.

Lasagne reported (and the answer computes by hand):
  conv2d1  32x24x24   (5*5*1+1)*32   =     832
  maxpool1 32x12x12
  conv2d2  32x10x10   (3*3*32+1)*32  =   9,248
  maxpool2 32x5x5
  dense    256        (32*5*5+1)*256 = 205,056
  output   10         (256+1)*10     =   2,570
  total                                217,706
"""
import torch
from torch import nn

BATCH_SIZE = 8
NUM_CLASSES = 10

net = nn.Sequential(
    nn.Conv2d(in_channels=1, out_channels=32, kernel_size=(5, 5)),   # conv2d1
    nn.ReLU(),
    nn.MaxPool2d(kernel_size=(2, 2)),                                # maxpool1
    nn.Conv2d(in_channels=32, out_channels=32, kernel_size=(3, 3)),  # conv2d2
    nn.ReLU(),
    nn.MaxPool2d(kernel_size=(2, 2)),                                # maxpool2
    nn.Flatten(),
    nn.Dropout(p=0.5),
    nn.Linear(32 * 5 * 5, 256),                                      # dense
    nn.ReLU(),
    nn.Dropout(p=0.5),
    nn.Linear(256, NUM_CLASSES),                                     # output
)


def train_step(batch, labels, optimizer):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(net(batch), labels)
    loss.backward()
    optimizer.step()
    return loss.item()


if __name__ == "__main__":
    print(net(torch.randn(BATCH_SIZE, 1, 28, 28)).shape)
