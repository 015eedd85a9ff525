"""The Keras MNIST MLP of seed article 003, exactly as the article builds it.

The article's model.summary():
  flatten (Flatten)   (None, 784)   0
  dense (Dense)       (None, 512)   401920
  dense_1 (Dense)     (None, 256)   131328
  dense_2 (Dense)     (None, 128)   32896
  dense_3 (Dense)     (None, 10)    1290
  Total params: 567,434
"""
import keras

model = keras.Sequential()
model.add(keras.layers.Flatten(input_shape=(28, 28)))
model.add(keras.layers.Dense(512, activation='relu'))
model.add(keras.layers.Dense(256, activation='relu'))
model.add(keras.layers.Dense(128, activation='relu'))
model.add(keras.layers.Dense(10, activation='softmax'))

model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

if __name__ == "__main__":
    model.summary()
