# Generated from notebooks/03_flask_app.ipynb by `make export-app`: do not edit.
# Edit the notebook's cells tagged "article-app", then run `make export-app`.
"""The article's Flask app: `/` says hello, `/predict?text=...` answers 0 (ham) or 1 (spam) per message.

Run it from notebooks/ (MODEL_DIR defaults to ../models): flask --app ../app/article_app.py run"""

import os
import pickle

from flask import Flask, request

model_dir = os.environ.get("MODEL_DIR", "../models")
with open(os.path.join(model_dir, "feature.pkl"), "rb") as f:
    vectorizer = pickle.load(f)
with open(os.path.join(model_dir, "model.pkl"), "rb") as f:
    model = pickle.load(f)

app = Flask(__name__)


@app.route("/")
def hello():
    return "Hello World!"


@app.route("/predict", methods=["GET", "POST"])
def predict():
    texts = request.args.getlist("text") + request.form.getlist("text")
    if not texts:
        return {"error": "send one or more messages as ?text=...: /predict?text=hello"}, 400
    labels = model.predict(vectorizer.transform(texts))
    return ",".join(str(label) for label in labels)  # 0 = ham, 1 = spam


# `python app/article_app.py` starts Flask's development server (127.0.0.1 unless HOST says otherwise)
if __name__ == "__main__":
    app.run(
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "5000")),
        debug=os.environ.get("FLASK_DEBUG") == "1",
    )
