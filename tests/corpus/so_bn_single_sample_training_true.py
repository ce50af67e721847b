# "Model gives the same output for every single image" - functional CNN with BatchNorm,
# custom training loop copied from the TF guide.
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

keras.utils.set_random_seed(1234)

(x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
x_train = x_train[..., None].astype("float32") / 255.0
x_test = x_test[..., None].astype("float32") / 255.0

inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(32, 3, padding="same")(inputs)
x = layers.BatchNormalization()(x)
x = layers.Activation("relu")(x)
x = layers.MaxPooling2D()(x)
x = layers.Conv2D(64, 3, padding="same")(x)
x = layers.BatchNormalization()(x)
x = layers.Activation("relu")(x)
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(10)(x)
model = keras.Model(inputs, outputs)

loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
optimizer = keras.optimizers.Adam(learning_rate=1e-3)
train_acc = keras.metrics.SparseCategoricalAccuracy()

dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(10000, seed=1).batch(64)


@tf.function
def train_step(xb, yb):
    with tf.GradientTape() as tape:
        logits = model(xb, training=True)  # expect-none: KC201
        loss = loss_fn(yb, logits)
    grads = tape.gradient(loss, model.trainable_weights)
    optimizer.apply_gradients(zip(grads, model.trainable_weights))
    train_acc.update_state(yb, logits)
    return loss


for epoch in range(5):
    for step, (xb, yb) in enumerate(dataset):
        loss = train_step(xb, yb)
    print(f"epoch {epoch}: loss={float(loss):.4f} acc={float(train_acc.result()):.4f}")
    train_acc.reset_state()

class_names = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"]

# predicting one image at a time: every image comes out as the same class
for i in range(5):
    sample = x_test[i : i + 1]
    logits = model(sample, training=True)  # expect: KC201
    print(class_names[int(np.argmax(logits, axis=-1)[0])], "true:", class_names[y_test[i]])

test_logits = model(x_test[:1000], training=False)  # expect-none: KC201
print("test acc", np.mean(np.argmax(test_logits, axis=-1) == y_test[:1000]))
model.save("fashion_bn.keras")
