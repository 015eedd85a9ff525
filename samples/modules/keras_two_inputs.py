"""A Keras functional model with two inputs and two outputs: an image branch and a metadata branch,
a shared projection applied to both, merged by Concatenate / Add / Multiply / Dot."""
import keras
from keras import layers

image = keras.Input(shape=(28, 28, 1), name="image")
meta = keras.Input(shape=(10,), name="meta")

x = layers.Conv2D(16, 3, activation="relu")(image)
x = layers.MaxPooling2D(2)(x)
x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
x = layers.GlobalAveragePooling2D()(x)
y = layers.Dense(32, activation="relu")(meta)

shared = layers.Dense(16, name="shared_proj")
xa = shared(x)
ya = shared(y)
merged = layers.Concatenate()([xa, ya])
summed = layers.Add()([xa, ya])
similarity = layers.Dot(axes=1)([xa, ya])
h = layers.Dense(64, activation="relu")(layers.Dropout(0.2)(merged))
both = layers.concatenate([h, similarity])
label = layers.Dense(5, activation="softmax", name="label")(both)
score = layers.Dense(1, name="score")(layers.Multiply()([summed, xa]))

model = keras.Model(inputs=[image, meta], outputs=[label, score])
encoder = keras.Model(image, xa, name="encoder")
