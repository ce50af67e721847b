# LSTM with memory between batches (airline passengers) - old blog code on Keras 3
import math

import numpy
import pandas
from keras.models import Sequential
from keras.layers import Dense, LSTM
from sklearn.preprocessing import MinMaxScaler
from sklearn.metrics import mean_squared_error

numpy.random.seed(7)  # expect: KC302

dataframe = pandas.read_csv("airline-passengers.csv", usecols=[1], engine="python")
dataset = dataframe.values.astype("float32")
scaler = MinMaxScaler(feature_range=(0, 1))
dataset = scaler.fit_transform(dataset)  # expect: KC405

train_size = int(len(dataset) * 0.67)
train, test = dataset[0:train_size, :], dataset[train_size : len(dataset), :]


def create_dataset(data, look_back=1):
    data_x, data_y = [], []
    for i in range(len(data) - look_back - 1):
        data_x.append(data[i : (i + look_back), 0])
        data_y.append(data[i + look_back, 0])
    return numpy.array(data_x), numpy.array(data_y)


look_back = 3
trainX, trainY = create_dataset(train, look_back)
testX, testY = create_dataset(test, look_back)
trainX = numpy.reshape(trainX, (trainX.shape[0], trainX.shape[1], 1))
testX = numpy.reshape(testX, (testX.shape[0], testX.shape[1], 1))

batch_size = 1
model = Sequential()
model.add(LSTM(4, batch_input_shape=(batch_size, look_back, 1), stateful=True))  # expect: KC106
model.add(Dense(1))
model.compile(loss="mean_squared_error", optimizer="adam")
for i in range(100):
    model.fit(trainX, trainY, epochs=1, batch_size=batch_size, verbose=2, shuffle=False)  # expect-none: KC703, KC704

trainPredict = model.predict(trainX, batch_size=batch_size)
testPredict = model.predict(testX, batch_size=batch_size)  # expect: KC702

trainPredict = scaler.inverse_transform(trainPredict)
trainY = scaler.inverse_transform([trainY])
testPredict = scaler.inverse_transform(testPredict)
testY = scaler.inverse_transform([testY])
trainScore = math.sqrt(mean_squared_error(trainY[0], trainPredict[:, 0]))
testScore = math.sqrt(mean_squared_error(testY[0], testPredict[:, 0]))
print("Train Score: %.2f RMSE" % trainScore)
print("Test Score: %.2f RMSE" % testScore)
