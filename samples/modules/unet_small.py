"""A small U-Net: an encoder of double convolutions with max-pooling, a decoder of transposed
convolutions whose outputs are concatenated (torch.cat on the channel dim) with the encoder's skips."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class DoubleConv(nn.Module):
    def __init__(self, in_ch, out_ch):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(in_ch, out_ch, 3, padding=1),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_ch, out_ch, 3, padding=1),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
        )

    def forward(self, x):
        return self.net(x)


class UNet(nn.Module):  # shapelens: input=(1, 3, 64, 64)
    def __init__(self, in_channels=3, num_classes=2, base=16):
        super().__init__()
        self.enc1 = DoubleConv(in_channels, base)
        self.enc2 = DoubleConv(base, base * 2)
        self.enc3 = DoubleConv(base * 2, base * 4)
        self.bottleneck = DoubleConv(base * 4, base * 8)
        self.ups = nn.ModuleList([nn.ConvTranspose2d(base * 2 ** (i + 1), base * 2 ** i, 2, stride=2)
                                  for i in reversed(range(3))])
        self.decs = nn.ModuleList([DoubleConv(base * 2 ** (i + 1), base * 2 ** i) for i in reversed(range(3))])
        self.head = nn.Conv2d(base, num_classes, 1)

    def forward(self, x):
        skips = []
        x = self.enc1(x)
        skips.append(x)
        x = self.enc2(F.max_pool2d(x, 2))
        skips.append(x)
        x = self.enc3(F.max_pool2d(x, 2))
        skips.append(x)
        x = self.bottleneck(F.max_pool2d(x, 2))
        for up, dec in zip(self.ups, self.decs):
            x = up(x)
            x = torch.cat([x, skips.pop()], dim=1)
            x = dec(x)
        return self.head(x)
