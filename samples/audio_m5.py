"""M5: a 1-D CNN on raw 8 kHz waveforms (Dai et al., "Very deep CNNs for raw waveforms"), in the
style of the torchaudio speech-commands tutorial. 1 second of audio = 8000 samples, 35 keywords.
"""
import torch
import torch.nn as nn

SAMPLE_RATE = 8000
N_INPUT = 1          # mono
N_CHANNEL = 32
N_OUTPUT = 35        # speech-commands labels
STRIDE = 16

model = nn.Sequential(
    nn.Conv1d(N_INPUT, N_CHANNEL, kernel_size=80, stride=STRIDE),   # 8000 -> 496
    nn.BatchNorm1d(N_CHANNEL),
    nn.ReLU(),
    nn.MaxPool1d(4),
    nn.Conv1d(N_CHANNEL, N_CHANNEL, kernel_size=3),
    nn.BatchNorm1d(N_CHANNEL),
    nn.ReLU(),
    nn.MaxPool1d(4),
    nn.Conv1d(N_CHANNEL, 2 * N_CHANNEL, kernel_size=3),
    nn.BatchNorm1d(2 * N_CHANNEL),
    nn.ReLU(),
    nn.MaxPool1d(4),
    nn.Conv1d(2 * N_CHANNEL, 2 * N_CHANNEL, kernel_size=3),
    nn.BatchNorm1d(2 * N_CHANNEL),
    nn.ReLU(),
    nn.MaxPool1d(4),
    nn.AdaptiveAvgPool1d(1),
    nn.Flatten(),
    nn.Linear(2 * N_CHANNEL, N_OUTPUT),
    nn.LogSoftmax(dim=1),
)

if __name__ == "__main__":
    log_probs = model(torch.randn(4, N_INPUT, SAMPLE_RATE))
    print(log_probs.shape)  # (4, 35)
