# Generated from notebooks/03_flask_app.ipynb by `make export-app`: do not edit.
# Edit the notebook's cells tagged "article-app", then run `make export-app`.
"""The article's Flask app: `/` says hello, `/predict?text=...` answers 0 (ham) or 1 (spam) per message.

Start it in this folder, beside feature.pkl and model.pkl (notebook 02 saves them): python3 -m flask run"""

# %% notebooks/03_flask_app.ipynb, cell 3

import os
import pickle

from flask import Flask, request
from sklearn.feature_extraction.text import CountVectorizer

# The pickles sit beside app.py: the app loads them from the folder it runs in (or ARTICLE_DIR).
folder = os.environ.get("ARTICLE_DIR", ".")
cv = CountVectorizer(vocabulary=pickle.load(open(os.path.join(folder, "feature.pkl"), "rb")))
rfc = pickle.load(open(os.path.join(folder, "model.pkl"), "rb"))

app = Flask(__name__)


# %% notebooks/03_flask_app.ipynb, cell 5

@app.route("/")
def hello():
    return "Hello World!"


@app.route("/predict", methods=["GET", "POST"])
def predict():
    texts = request.args.getlist("text") + request.form.getlist("text")
    if not texts:
        return {"error": "send one or more messages as ?text=...: /predict?text=hello"}, 400
    labels = rfc.predict(cv.transform(texts))
    return ",".join(str(label) for label in labels)  # 0 = ham, 1 = spam

