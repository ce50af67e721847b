# "Predictions are way off when I load the model in another script" - house price regression
import numpy as np
import pandas as pd
from sklearn.preprocessing import StandardScaler, MinMaxScaler
from sklearn.model_selection import train_test_split
from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import Dense
from tensorflow.keras.optimizers import Adam

df = pd.read_csv("kc_house_data.csv")
df = df.drop(["id", "date", "zipcode"], axis=1)

X = df.drop("price", axis=1).values
y = df["price"].values.reshape(-1, 1)

scaler = MinMaxScaler()
X = scaler.fit_transform(X)  # expect: KC401, KC405

X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=101)

y_scaler = StandardScaler()
y_train_s = y_scaler.fit_transform(y_train)  # expect: KC401

model = Sequential()
model.add(Dense(19, activation="relu"))
model.add(Dense(19, activation="relu"))
model.add(Dense(19, activation="relu"))
model.add(Dense(1))
model.compile(optimizer=Adam(learning_rate=0.001), loss="mse")

model.fit(x=X_train, y=y_train_s, validation_data=(X_test, y_scaler.transform(y_test)), batch_size=128, epochs=400)  # expect: KC301, KC601

losses = pd.DataFrame(model.history.history)
print(losses.tail())

predictions = y_scaler.inverse_transform(model.predict(X_test))
print("MAE:", np.mean(np.abs(predictions - y_test)))

model.save("house_price_model.h5")  # expect: KC104
