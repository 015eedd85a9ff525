"""Convolutional autoencoder for 28x28 MNIST digits, as one Sequential (no functional API):
strided Conv2D down to 7x7x8, Conv2DTranspose back up to 28x28x1."""
import keras
from keras import layers

LATENT_CHANNELS = 8

autoencoder = keras.Sequential(name="conv_autoencoder")
autoencoder.add(keras.Input(shape=(28, 28, 1)))
# encoder
autoencoder.add(layers.Conv2D(16, (3, 3), activation="relu", padding="same", strides=2))   # 14x14x16
autoencoder.add(layers.Conv2D(LATENT_CHANNELS, (3, 3), activation="relu", padding="same", strides=2))  # 7x7x8
# decoder
autoencoder.add(layers.Conv2DTranspose(LATENT_CHANNELS, kernel_size=3, strides=2, activation="relu", padding="same"))  # 14x14
autoencoder.add(layers.Conv2DTranspose(16, kernel_size=3, strides=2, activation="relu", padding="same"))  # 28x28
autoencoder.add(layers.Conv2D(1, kernel_size=(3, 3), activation="sigmoid", padding="same"))

autoencoder.compile(optimizer="adam", loss="binary_crossentropy")

if __name__ == "__main__":
    autoencoder.summary()
