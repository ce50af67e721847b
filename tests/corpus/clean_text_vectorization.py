# Sentiment classifier whose text preprocessing lives inside the saved model.
import keras
import tensorflow as tf
from keras import layers

keras.utils.set_random_seed(123)

batch_size = 32
raw_train = keras.utils.text_dataset_from_directory("aclImdb/train", batch_size=batch_size, validation_split=0.2, subset="training", seed=1337)
raw_val = keras.utils.text_dataset_from_directory("aclImdb/train", batch_size=batch_size, validation_split=0.2, subset="validation", seed=1337)
raw_test = keras.utils.text_dataset_from_directory("aclImdb/test", batch_size=batch_size)

vectorize_layer = layers.TextVectorization(max_tokens=20000, output_mode="int", output_sequence_length=500)
vectorize_layer.adapt(raw_train.map(lambda text, label: text))  # expect-none: KC401

inputs = keras.Input(shape=(1,), dtype="string")
x = vectorize_layer(inputs)
x = layers.Embedding(20000, 128)(x)
x = layers.Dropout(0.5)(x)
x = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(x)
x = layers.GlobalMaxPooling1D()(x)
x = layers.Dense(128, activation="relu")(x)
predictions = layers.Dense(1, activation="sigmoid", name="predictions")(x)
model = keras.Model(inputs, predictions)
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])  # expect-none: KC605

callbacks = [keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True)]
model.fit(raw_train, validation_data=raw_val, epochs=10, callbacks=callbacks)
model.evaluate(raw_test)

model.save("imdb_end_to_end.keras")
probs = model.predict(tf.constant(["a wonderful, moving film", "dull and far too long"]))
print((probs > 0.5).astype("int32").ravel())  # expect-none: KC505
