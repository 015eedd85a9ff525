"""A subclassed keras.Model: layers created in __init__, the data flow in call(), with a residual Add
and a Concatenate of two branches."""
import numpy as np
import keras
from keras import layers


class Classifier(keras.Model):
    def __init__(self, hidden=64, num_classes=10, **kwargs):
        super().__init__(**kwargs)
        self.stem = layers.Dense(hidden, activation="relu")
        self.blocks = [layers.Dense(hidden, activation="relu") for _ in range(2)]
        self.norm = layers.BatchNormalization()
        self.side = layers.Dense(hidden // 2)
        self.merge = layers.Concatenate()
        self.dropout = layers.Dropout(0.1)
        self.head = layers.Dense(num_classes, activation="softmax")

    def call(self, inputs, training=False):
        x = self.stem(inputs)
        for block in self.blocks:
            x = layers.add([x, block(x)])
        x = self.norm(x, training=training)
        s = self.side(inputs)
        x = self.merge([x, s])
        x = self.dropout(x, training=training)
        return self.head(x)


model = Classifier(hidden=32)
probs = model(np.zeros((4, 20), dtype="float32"))
