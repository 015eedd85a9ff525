"""padding='same' copied from a Keras model onto a strided PyTorch convolution. torch refuses it at
construction:
  ValueError: padding='same' is not supported for strided convolutions
"""
import torch
import torch.nn as nn

encoder = nn.Sequential(
    nn.Conv2d(3, 32, kernel_size=3, padding="same"),
    nn.ReLU(),
    nn.Conv2d(32, 64, kernel_size=3, stride=2, padding="same"),  # expect: SL102
    nn.ReLU(),
)

if __name__ == "__main__":
    print(encoder(torch.randn(2, 3, 64, 64)).shape)
