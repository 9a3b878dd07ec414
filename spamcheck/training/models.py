"""The candidate models: the article's, and stronger ones.

Every candidate is a two-step Pipeline ``[("features", ...), ("classifier", ...)]`` so that the
two halves can be saved as the article's ``feature.pkl`` and ``model.pkl``.
"""

from __future__ import annotations

from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import RandomForestClassifier
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import FixedThresholdClassifier
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

# Blocking a real message costs more than letting one spam through. With a cost ratio of 4:1 the
# decision threshold that minimises the expected cost on calibrated probabilities is 4 / (4 + 1).
BLOCKED_HAM_COST = 4.0
MISSED_SPAM_COST = 1.0
SPAM_THRESHOLD = BLOCKED_HAM_COST / (BLOCKED_HAM_COST + MISSED_SPAM_COST)

DESCRIPTIONS = {
    "article": "The article's model: CountVectorizer word counts + RandomForestClassifier.",
    "naive_bayes": "Word 1-2-gram counts + multinomial naive Bayes: the classic spam filter.",
    "logreg": "TF-IDF word 1-2-grams and character 2-5-grams + logistic regression.",
    "svm": (
        "TF-IDF word 1-2-grams and character 2-5-grams + linear SVM, sigmoid-calibrated "
        f"(5-fold) to give a spam probability; spam when it is >= {SPAM_THRESHOLD:.1f} "
        f"(blocking ham costs {BLOCKED_HAM_COST:.0f}x missing spam)."
    ),
}
CANDIDATES = tuple(DESCRIPTIONS)


def _word_and_char_tfidf() -> FeatureUnion:
    # Words catch vocabulary ("prize", "claim"); character n-grams inside word boundaries catch
    # obfuscations, numbers and spelling variants ("fr33", "£1000", "txt").
    return FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        ]
    )


def build(kind: str, seed: int = 42) -> Pipeline:
    """Return an unfitted candidate by name (one of :data:`CANDIDATES`)."""
    if kind == "article":
        features, classifier = CountVectorizer(), RandomForestClassifier(random_state=seed, n_jobs=2)
    elif kind == "naive_bayes":
        features, classifier = CountVectorizer(ngram_range=(1, 2)), MultinomialNB(alpha=0.1)
    elif kind == "logreg":
        features = _word_and_char_tfidf()
        classifier = LogisticRegression(C=30, max_iter=3000, random_state=seed)
    elif kind == "svm":
        features = _word_and_char_tfidf()
        calibrated = CalibratedClassifierCV(LinearSVC(C=1.0, random_state=seed), cv=5)
        classifier = FixedThresholdClassifier(calibrated, threshold=SPAM_THRESHOLD, response_method="predict_proba")
    else:
        raise ValueError(f"unknown model kind {kind!r}; choose one of {', '.join(CANDIDATES)}")
    return Pipeline([("features", features), ("classifier", classifier)])
