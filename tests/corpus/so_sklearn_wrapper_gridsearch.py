# Grid search over Keras hyperparameters with the scikit-learn wrapper (sonar dataset)
import numpy
import pandas
from keras.models import Sequential
from keras.layers import Dense
from keras.wrappers.scikit_learn import KerasClassifier  # expect: KC107
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import LabelEncoder, StandardScaler

seed = 7
numpy.random.seed(seed)  # expect: KC302

dataframe = pandas.read_csv("sonar.csv", header=None)
dataset = dataframe.values
X = dataset[:, 0:60].astype(float)
Y = dataset[:, 60]

encoder = LabelEncoder()
encoder.fit(Y)  # expect-none: KC405
encoded_Y = encoder.transform(Y)


def create_baseline(optimizer="adam", units=60):
    model = Sequential()
    model.add(Dense(units, input_dim=60, activation="relu"))
    model.add(Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer=optimizer, metrics=["accuracy"])
    return model


estimators = []
estimators.append(("standardize", StandardScaler()))
estimators.append(("mlp", KerasClassifier(build_fn=create_baseline, epochs=100, batch_size=5, verbose=0)))
pipeline = Pipeline(estimators)
kfold = StratifiedKFold(n_splits=10, shuffle=True, random_state=seed)
results = cross_val_score(pipeline, X, encoded_Y, cv=kfold)
print("Standardized: %.2f%% (%.2f%%)" % (results.mean() * 100, results.std() * 100))

param_grid = {"mlp__optimizer": ["rmsprop", "adam"], "mlp__units": [30, 60]}
grid = GridSearchCV(estimator=pipeline, param_grid=param_grid, cv=kfold)
grid_result = grid.fit(X, encoded_Y)
print("Best: %f using %s" % (grid_result.best_score_, grid_result.best_params_))
