"""A plain (non-residual) CNN whose body is NUM_BLOCKS identical conv blocks made with a list
comprehension and unpacked into the Sequential with *blocks."""
import torch
import torch.nn as nn

WIDTH = 48
NUM_BLOCKS = 4
NUM_CLASSES = 100

blocks = [
    nn.Sequential(
        nn.Conv2d(WIDTH, WIDTH, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(WIDTH),
        nn.ReLU(inplace=True),
    )
    for _ in range(NUM_BLOCKS)
]

model = nn.Sequential(
    nn.Conv2d(3, WIDTH, kernel_size=3, padding=1),
    nn.ReLU(inplace=True),
    *blocks,
    nn.MaxPool2d(2),
    nn.AdaptiveAvgPool2d((1, 1)),
    nn.Flatten(),
    nn.Linear(WIDTH, NUM_CLASSES),
)

if __name__ == "__main__":
    print(model(torch.randn(2, 3, 32, 32)).shape)
