"""A Keras atrous convolution that also tries to downsample. Keras refuses it when the layer is
created:
  ValueError: ... strides > 1 not supported in conjunction with dilation_rate > 1
"""
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(64, 64, 3)),
    layers.Conv2D(32, 3, padding="same", activation="relu"),
    layers.Conv2D(64, 3, strides=2, dilation_rate=2, padding="same", activation="relu"),  # expect: SL104
    layers.GlobalAveragePooling2D(),
    layers.Dense(10, activation="softmax"),
])
