"""The PyTorch MNIST example network, reused unchanged on 32x32 images (e.g. padded digits).

Its first Linear hard-codes 9216 = 64 * 12 * 12, which is only right for 28x28 inputs. On 32x32 the
Flatten produces 64 * 14 * 14 = 12544 features and forward raises
  RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x12544 and 9216x128)
"""
import torch
import torch.nn as nn

model = nn.Sequential(
    nn.Conv2d(1, 32, 3, 1),
    nn.ReLU(),
    nn.Conv2d(32, 64, 3, 1),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Dropout(0.25),
    nn.Flatten(),
    nn.Linear(9216, 128),  # expect: SL106
    nn.ReLU(),
    nn.Dropout(0.5),
    nn.Linear(128, 10),
)

if __name__ == "__main__":
    print(model(torch.randn(2, 1, 32, 32)).shape)
