"""VGG-11 for CIFAR-10 (32x32), with the features built from a configuration list the way
torchvision's make_layers() does ("M" = max-pool), but at module level."""
import torch
import torch.nn as nn

CFG = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]
NUM_CLASSES = 10

layers = []
in_channels = 3
for v in CFG:
    if v == "M":
        layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
    else:
        conv2d = nn.Conv2d(in_channels, v, kernel_size=3, padding=1)
        layers += [conv2d, nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
        in_channels = v

model = nn.Sequential(*layers, nn.Flatten(), nn.Linear(512, NUM_CLASSES))

if __name__ == "__main__":
    print(model(torch.randn(2, 3, 32, 32)).shape)
