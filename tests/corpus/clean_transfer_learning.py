# Fine-tuning MobileNetV2 on a folder of images (Keras transfer-learning guide pattern).
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

keras.utils.set_random_seed(42)
IMG_SIZE = (160, 160)

train_ds = keras.utils.image_dataset_from_directory("flowers/train", image_size=IMG_SIZE, batch_size=32, seed=42)
val_ds = keras.utils.image_dataset_from_directory("flowers/val", image_size=IMG_SIZE, batch_size=32, seed=42)
class_names = train_ds.class_names
train_ds = train_ds.prefetch(tf.data.AUTOTUNE)
val_ds = val_ds.prefetch(tf.data.AUTOTUNE)

augment = keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)])
base_model = keras.applications.MobileNetV2(input_shape=IMG_SIZE + (3,), include_top=False, weights="imagenet")
base_model.trainable = False

inputs = keras.Input(shape=IMG_SIZE + (3,))
x = augment(inputs)
x = keras.applications.mobilenet_v2.preprocess_input(x)
x = base_model(x, training=False)  # expect-none: KC201
x = layers.GlobalAveragePooling2D()(x)
x = layers.Dropout(0.2)(x)
outputs = layers.Dense(len(class_names))(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])  # expect-none: KC605

callbacks = [
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True),
    keras.callbacks.ModelCheckpoint("flowers_best.weights.h5", monitor="val_loss", save_best_only=True, save_weights_only=True),  # expect-none: KC603, KC105
]
model.fit(train_ds, validation_data=val_ds, epochs=20, callbacks=callbacks)

base_model.trainable = True
for layer in base_model.layers[:100]:
    layer.trainable = False
model.compile(optimizer=keras.optimizers.Adam(1e-5), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
model.fit(train_ds, validation_data=val_ds, epochs=10, callbacks=callbacks)

model.save("flowers_mobilenet.keras")
image_batch, label_batch = next(iter(val_ds))
logits = model.predict_on_batch(image_batch)  # expect-none: KC503
print([class_names[i] for i in np.argmax(logits, axis=-1)], label_batch.numpy())
