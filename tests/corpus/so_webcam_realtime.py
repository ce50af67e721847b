# Real-time mask detection from a webcam: "only 2 FPS even on a GPU"
import cv2
import numpy as np
import tensorflow as tf

model = tf.keras.models.load_model("mask_detector.keras")
face_cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
LABELS = {0: ("mask", (0, 255, 0)), 1: ("no mask", (0, 0, 255))}

cap = cv2.VideoCapture(0)
while True:
    ok, frame = cap.read()
    if not ok:
        break
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    faces = face_cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5)
    for (x, y, w, h) in faces:
        face = cv2.resize(frame[y : y + h, x : x + w], (224, 224))
        face = cv2.cvtColor(face, cv2.COLOR_BGR2RGB).astype("float32") / 255.0
        probs = model.predict(face[np.newaxis, ...])[0]  # expect: KC501
        label, color = LABELS[int(np.argmax(probs))]
        cv2.rectangle(frame, (x, y), (x + w, y + h), color, 2)
        cv2.putText(frame, f"{label} {probs.max():.2f}", (x, y - 10), cv2.FONT_HERSHEY_SIMPLEX, 0.6, color, 2)
    cv2.imshow("mask detector", frame)
    if cv2.waitKey(1) & 0xFF == ord("q"):
        break

cap.release()
cv2.destroyAllWindows()
