"""A configurable MLP for flattened 28x28 images, built with a list, .append in a loop, and *layers."""
import torch
import torch.nn as nn

IN_FEATURES = 28 * 28
HIDDEN_SIZES = [512, 256, 128]
NUM_CLASSES = 10
DROPOUT = 0.2

layers = [nn.Flatten()]
in_features = IN_FEATURES
for hidden in HIDDEN_SIZES:
    layers.append(nn.Linear(in_features, hidden))
    layers.append(nn.BatchNorm1d(hidden))
    layers.append(nn.ReLU())
    layers.append(nn.Dropout(DROPOUT))
    in_features = hidden
layers.append(nn.Linear(in_features, NUM_CLASSES))

classifier = nn.Sequential(*layers)

if __name__ == "__main__":
    print(classifier(torch.rand(32, 1, 28, 28)).shape)
