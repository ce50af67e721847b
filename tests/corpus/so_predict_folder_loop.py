# "Predicting on 5000 images takes forever" - classify every image in a folder
import os
import time

import numpy as np
import tensorflow as tf
from tensorflow.keras.preprocessing import image

IMG_SIZE = (224, 224)
model = tf.keras.models.load_model("flowers_mobilenet.keras")
class_names = sorted(os.listdir("flower_photos"))

start = time.time()
results = []
for fname in sorted(os.listdir("to_classify")):
    if not fname.lower().endswith((".jpg", ".jpeg", ".png")):
        continue
    img = image.load_img(os.path.join("to_classify", fname), target_size=IMG_SIZE)
    arr = image.img_to_array(img) / 255.0
    arr = np.expand_dims(arr, axis=0)
    pred = model.predict(arr)  # expect: KC501
    results.append((fname, class_names[int(np.argmax(pred[0]))], float(np.max(pred[0]))))

print(f"{len(results)} images in {time.time() - start:.1f}s")
with open("predictions.csv", "w") as fh:
    fh.write("file,label,confidence\n")
    for fname, label, conf in results:
        fh.write(f"{fname},{label},{conf:.4f}\n")

# batched version someone suggested in the comments
paths = [os.path.join("to_classify", f) for f, _, _ in results]
batch = np.stack([image.img_to_array(image.load_img(p, target_size=IMG_SIZE)) / 255.0 for p in paths])
batch_preds = model.predict(batch, batch_size=64)  # expect-none: KC501
print(np.argmax(batch_preds, axis=-1)[:10])
