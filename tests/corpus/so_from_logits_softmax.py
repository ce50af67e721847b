# "Loss is nan / model does not learn" - text classifier with 20 newsgroups
import numpy as np
import tensorflow as tf
from sklearn.datasets import fetch_20newsgroups
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import train_test_split

tf.keras.utils.set_random_seed(5)

news = fetch_20newsgroups(subset="all", remove=("headers", "footers", "quotes"))
X_train_txt, X_val_txt, y_train, y_val = train_test_split(news.data, news.target, test_size=0.2, random_state=5)

vectorizer = TfidfVectorizer(max_features=20000, sublinear_tf=True)
X_train = vectorizer.fit_transform(X_train_txt).toarray().astype("float32")
X_val = vectorizer.transform(X_val_txt).toarray().astype("float32")

model = tf.keras.Sequential([
    tf.keras.layers.Input(shape=(X_train.shape[1],)),
    tf.keras.layers.Dense(512, activation="relu"),
    tf.keras.layers.Dropout(0.5),
    tf.keras.layers.Dense(20, activation="softmax"),
])
model.compile(optimizer="adam", loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])  # expect: KC605

early = tf.keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)  # expect-none: KC602
model.fit(X_train, y_train, validation_data=(X_val, y_val), epochs=20, batch_size=64, callbacks=[early])  # expect-none: KC601

val_pred = np.argmax(model.predict(X_val), axis=-1)
print("val accuracy:", np.mean(val_pred == y_val))
