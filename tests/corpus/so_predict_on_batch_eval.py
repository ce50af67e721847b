# "OOM when evaluating on the test set but training works fine" - segmentation eval script
import numpy as np
import keras

model = keras.models.load_model("unet_membranes.keras")

images = np.load("test_images.npy").astype("float32") / 255.0
masks = np.load("test_masks.npy").astype("float32")
print("test set:", images.shape)


def dice(a, b, eps=1e-6):
    inter = np.sum(a * b)
    return (2 * inter + eps) / (np.sum(a) + np.sum(b) + eps)


# runs the whole test set as one batch
pred_masks = model.predict_on_batch(images)  # expect: KC503
print("mean dice:", dice(pred_masks > 0.5, masks))

# per-batch version: fine, one batch at a time
scores = []
for start in range(0, len(images), 16):
    batch = images[start : start + 16]
    out = model.predict_on_batch(batch)  # expect-none: KC503, KC501
    scores.append(dice(out > 0.5, masks[start : start + 16]))
print("mean per-batch dice:", float(np.mean(scores)))

preds = model.predict(images, batch_size=8)
np.save("pred_masks.npy", (preds > 0.5).astype("uint8"))
