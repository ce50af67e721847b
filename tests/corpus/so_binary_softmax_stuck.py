# "Accuracy stuck at 50% with binary classification, loss goes down" (churn dataset)
import numpy as np
import pandas as pd
import tensorflow as tf
from tensorflow import keras
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

tf.random.set_seed(42)  # expect: KC302

df = pd.read_csv("Churn_Modelling.csv")
X = df.iloc[:, 3:13]
y = df["Exited"].values
X = pd.get_dummies(X, columns=["Geography", "Gender"], drop_first=True).values.astype("float32")

X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
sc = StandardScaler()
X_train = sc.fit_transform(X_train)
X_test = sc.transform(X_test)  # expect-none: KC402

model = keras.Sequential([
    keras.layers.Dense(6, activation="relu", input_shape=(X_train.shape[1],)),
    keras.layers.Dense(6, activation="relu"),
    keras.layers.Dense(1, activation="softmax"),  # expect: KC604
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])  # expect: KC605

model.fit(X_train, y_train, batch_size=10, epochs=100)

y_pred = model.predict(X_test)
y_pred = y_pred > 0.5
print("accuracy:", np.mean(y_pred.ravel() == y_test))
print(pd.crosstab(y_test, y_pred.ravel()))
