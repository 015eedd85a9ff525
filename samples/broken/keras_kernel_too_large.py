"""A Keras CNN for 28x28 digits with one pooling too many before a 5x5 convolution: the feature map
is 3x3 when the 5x5 kernel arrives. Keras raises when the model is built:
  ValueError: Computed output size would be zero or negative ...
"""
import keras

model = keras.Sequential()
model.add(keras.layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)))  # 26
model.add(keras.layers.MaxPooling2D((2, 2)))                                            # 13
model.add(keras.layers.Conv2D(64, (3, 3), activation="relu"))                           # 11
model.add(keras.layers.MaxPooling2D((2, 2)))                                            # 5
model.add(keras.layers.Conv2D(64, (3, 3), activation="relu"))                           # 3
model.add(keras.layers.Conv2D(128, (5, 5), activation="relu"))  # expect: SL101
model.add(keras.layers.Flatten())
model.add(keras.layers.Dense(10, activation="softmax"))
