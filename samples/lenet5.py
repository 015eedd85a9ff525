"""LeNet-5 (LeCun et al., 1998) on 32x32 grey-scale digits.

The layer sizes follow the classic description (seed article 001):
  C1: 6 feature maps 28x28, 5x5 kernels           -> (5*5+1)*6    = 156 parameters
  S2: 6 maps 14x14, 2x2 subsampling
  C3: 16 maps 10x10, 5x5 kernels
  S4: 16 maps 5x5, 2x2 subsampling
  C5: 120 maps 1x1, 5x5 kernels                   -> 120*(16*5*5+1) = 48,120 parameters
  F6: 84 units                                    -> 84*(120+1)     = 10,164 parameters
  output: 10 units

Two differences from the 1998 paper, because torch has no layer for them:
  * S2/S4 in the paper are *trainable* subsampling layers (sum of 2x2, times a learned coefficient,
    plus a learned bias: 12 and 32 parameters). torch has nothing like that, so they are modelled with
    nn.AvgPool2d(2) (0 parameters) followed by tanh.
  * C3 in the paper uses a sparse connection table (1,516 parameters); here every C3 map sees all six
    S2 maps, as in most modern re-implementations: (5*5*6+1)*16 = 2,416 parameters.
  * The RBF output layer is replaced by an ordinary Linear(84, 10).
"""
import torch
import torch.nn as nn

NUM_CLASSES = 10

model = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=5),        # C1: 1x32x32 -> 6x28x28
    nn.Tanh(),
    nn.AvgPool2d(kernel_size=2, stride=2), # S2 (untrainable stand-in): 6x14x14
    nn.Conv2d(6, 16, kernel_size=5),       # C3: 16x10x10
    nn.Tanh(),
    nn.AvgPool2d(kernel_size=2, stride=2), # S4 (untrainable stand-in): 16x5x5
    nn.Conv2d(16, 120, kernel_size=5),     # C5: 120x1x1
    nn.Tanh(),
    nn.Flatten(),
    nn.Linear(120, 84),                    # F6
    nn.Tanh(),
    nn.Linear(84, NUM_CLASSES),
)


if __name__ == "__main__":
    logits = model(torch.randn(1, 1, 32, 32))
    print(logits.shape)
    print(sum(p.numel() for p in model.parameters()), "parameters")
