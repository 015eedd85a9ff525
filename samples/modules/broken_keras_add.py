"""Broken: a Keras functional residual whose branch changes the width: Add of (None, 64) and (None, 32)
(Keras: "Inputs have incompatible shapes")."""
import keras
from keras import layers

inputs = keras.Input(shape=(32,))
x = layers.Dense(64, activation="relu")(inputs)
x = layers.Add()([x, inputs])  # !! SL111
outputs = layers.Dense(1)(x)
model = keras.Model(inputs, outputs)
