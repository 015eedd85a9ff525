"""DCGAN generator (Radford et al.) for 32x32 RGB images, as in the PyTorch DCGAN tutorial but one
stage shorter. A latent vector of NZ numbers, shaped (N, NZ, 1, 1), is upsampled by transposed
convolutions: 1 -> 4 -> 8 -> 16 -> 32.
"""
import torch
import torch.nn as nn

NZ = 100     # size of the latent vector
NGF = 64     # generator feature maps
NC = 3       # output channels

netG = nn.Sequential(
    nn.ConvTranspose2d(NZ, NGF * 4, 4, 1, 0, bias=False),        # (NGF*4) x 4 x 4
    nn.BatchNorm2d(NGF * 4),
    nn.ReLU(True),
    nn.ConvTranspose2d(NGF * 4, NGF * 2, 4, 2, 1, bias=False),   # (NGF*2) x 8 x 8
    nn.BatchNorm2d(NGF * 2),
    nn.ReLU(True),
    nn.ConvTranspose2d(NGF * 2, NGF, 4, 2, 1, bias=False),       # NGF x 16 x 16
    nn.BatchNorm2d(NGF),
    nn.ReLU(True),
    nn.ConvTranspose2d(NGF, NC, kernel_size=4, stride=2, padding=1),  # NC x 32 x 32
    nn.Tanh(),
)

if __name__ == "__main__":
    fake = netG(torch.randn(16, NZ, 1, 1))
    print(fake.shape)
