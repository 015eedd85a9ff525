"""A Keras depthwise-separable CNN for 64x64 RGB images (Xception / MobileNet-style blocks)."""
import keras
from keras import layers

IMG_SIZE = 64
NUM_CLASSES = 5

model = keras.Sequential([
    layers.Conv2D(32, 3, strides=2, padding="same", use_bias=False, input_shape=(IMG_SIZE, IMG_SIZE, 3)),
    layers.BatchNormalization(),
    layers.Activation("relu"),
    # depthwise 3x3 then pointwise 1x1, written out
    layers.DepthwiseConv2D(3, padding="same", use_bias=False),
    layers.BatchNormalization(),
    layers.ReLU(),
    layers.Conv2D(64, 1, use_bias=False),
    layers.BatchNormalization(),
    layers.ReLU(),
    # the same thing as one layer
    layers.SeparableConv2D(128, 3, padding="same", activation="relu"),
    layers.MaxPooling2D(pool_size=3, strides=2, padding="same"),
    layers.SeparableConv2D(256, 3, depth_multiplier=2, activation="relu"),
    layers.GlobalAveragePooling2D(),
    layers.Dropout(0.25),
    layers.Dense(NUM_CLASSES, activation="softmax"),
])

if __name__ == "__main__":
    model.summary()
