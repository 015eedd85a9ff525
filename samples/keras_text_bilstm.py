"""Sentiment classifier for IMDB-style reviews: Embedding -> bidirectional LSTM -> GRU -> Dense."""
import keras
from keras import layers

VOCAB_SIZE = 20000   # keep the 20k most frequent words
MAXLEN = 200         # pad / truncate reviews to 200 tokens
EMBED_DIM = 128

model = keras.Sequential(
    [
        keras.Input(shape=(MAXLEN,), dtype="int32"),
        layers.Embedding(VOCAB_SIZE, EMBED_DIM),
        layers.Bidirectional(layers.LSTM(64, return_sequences=True)),
        layers.Dropout(0.3),
        layers.GRU(32),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ],
    name="imdb_bilstm",
)

model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])

if __name__ == "__main__":
    model.summary()
