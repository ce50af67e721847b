# Plant disease classifier: "load_model fails with 'Requested the deserialization of a Lambda layer'"
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(8)
IMG = 128
CLASSES = ["healthy", "rust", "scab", "multiple"]

train_ds = keras.utils.image_dataset_from_directory("leaves/train", image_size=(IMG, IMG), batch_size=32, seed=8)
val_ds = keras.utils.image_dataset_from_directory("leaves/val", image_size=(IMG, IMG), batch_size=32, seed=8)

inputs = keras.Input(shape=(IMG, IMG, 3))
x = layers.Lambda(lambda t: (t / 127.5) - 1.0)(inputs)  # expect: KC403
for filters in (32, 64, 128):
    x = layers.Conv2D(filters, 3, activation="relu", padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.MaxPooling2D()(x)
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(len(CLASSES), activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

callbacks = [
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True),
    keras.callbacks.ModelCheckpoint("leaves_best.keras", monitor="val_accuracy", save_best_only=True),  # expect: KC603
]
model.fit(train_ds, validation_data=val_ds, epochs=40, callbacks=callbacks)
model.save("leaves_final.keras")

img = keras.utils.load_img("leaves/test/leaf_001.jpg", target_size=(IMG, IMG))
arr = np.expand_dims(keras.utils.img_to_array(img), 0)
print("prediction:", CLASSES[np.argmax(model.predict(arr))])  # expect-none: KC502
