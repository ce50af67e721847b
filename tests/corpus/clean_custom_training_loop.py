# Custom training loop with tf.GradientTape, seeded, evaluating with training=False.
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

keras.utils.set_random_seed(21)

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.reshape(-1, 784).astype("float32") / 255.0
x_test = x_test.reshape(-1, 784).astype("float32") / 255.0
x_val, y_val = x_train[-10000:], y_train[-10000:]
x_train, y_train = x_train[:-10000], y_train[:-10000]

inputs = keras.Input(shape=(784,))
x = layers.Dense(256, activation="relu")(inputs)
x = layers.Dropout(0.2)(x)
x = layers.Dense(128, activation="relu")(x)
outputs = layers.Dense(10)(x)
model = keras.Model(inputs, outputs)

optimizer = keras.optimizers.SGD(learning_rate=1e-2, momentum=0.9)
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)  # expect-none: KC605
train_metric = keras.metrics.SparseCategoricalAccuracy()
val_metric = keras.metrics.SparseCategoricalAccuracy()

train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(1024, seed=21).batch(64)
val_ds = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(256)


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        logits = model(x, training=True)  # expect-none: KC201
        loss = loss_fn(y, logits)
    grads = tape.gradient(loss, model.trainable_weights)
    optimizer.apply_gradients(zip(grads, model.trainable_weights))
    train_metric.update_state(y, logits)
    return loss


@tf.function
def test_step(x, y):
    logits = model(x, training=False)
    val_metric.update_state(y, logits)


for epoch in range(3):
    for x_batch, y_batch in train_ds:
        loss = train_step(x_batch, y_batch)  # expect-none: KC301
    for x_batch, y_batch in val_ds:
        test_step(x_batch, y_batch)
    print(f"epoch {epoch}: train acc {float(train_metric.result()):.4f} val acc {float(val_metric.result()):.4f}")
    train_metric.reset_state()
    val_metric.reset_state()

model.save("mnist_mlp_custom_loop.keras")
