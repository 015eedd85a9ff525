"""The Keras CNN of seed article 003 (two conv + two pool + two dense), as the article builds it.

The article's model.summary():
  Conv_1 (Conv2D)        (None, 128, 128, 512)  38912
  Pool_1 (MaxPooling2D)  (None, 63, 63, 512)    0
  Conv_2 (Conv2D)        (None, 31, 31, 256)    1179904
  Pool_2 (MaxPooling2D)  (None, 15, 15, 256)    0
  flatten (Flatten)      (None, 57600)          0
  Dense_1 (Dense)        (None, 128)            7372928
  Dense_2 (Dense)        (None, 10)             1290
  Total params: 8,593,034
"""
import keras

model = keras.Sequential()
model.add(
    keras.layers.Conv2D(
        filters=512,
        kernel_size=(5, 5),
        strides=(1, 1),
        padding='same',
        activation='relu',
        input_shape=(128, 128, 3),
        name="Conv_1"))
model.add(keras.layers.MaxPool2D(pool_size=(3, 3), strides=(2, 2), name="Pool_1"))
model.add(
    keras.layers.Conv2D(
        filters=256,
        kernel_size=(3, 3),
        strides=(2, 2),
        padding='valid',
        activation='relu',
        name="Conv_2"))
model.add(keras.layers.MaxPool2D(pool_size=(3, 3), strides=(2, 2), name="Pool_2"))
model.add(keras.layers.Flatten())
model.add(keras.layers.Dense(units=128, activation="relu", name="Dense_1"))
model.add(keras.layers.Dense(units=10, activation="softmax", name="Dense_2"))

if __name__ == "__main__":
    model.summary()
