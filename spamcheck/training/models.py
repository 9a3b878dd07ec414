"""The candidate models: the article's, and stronger ones.

Every candidate is, or (``svm_selected``) once fitted holds, a two-step Pipeline
``[("features", ...), ("classifier", ...)]`` so that the two halves can be saved as the article's
``feature.pkl`` and ``model.pkl``; :func:`servable` returns it.
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

from spamcheck.training.selection import BLOCKED_HAM_COST, MISSED_SPAM_COST, SelectedPipeline

# The threshold that minimises the expected cost on calibrated probabilities, in theory.
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
    "svm_selected": (
        "The same TF-IDF + calibrated linear SVM, with its character n-grams, minimum document "
        "frequency and threshold chosen by an inner grouped 3-fold CV on the training messages only, "
        f"for the lowest expected cost (blocking ham costs {BLOCKED_HAM_COST:.0f}x missing spam)."
    ),
}
CANDIDATES = tuple(DESCRIPTIONS)
DEFAULT_KIND = "svm_selected"  # what notebook 07 exports today (highest CV MCC); tests train the same


def _word_and_char_tfidf(char_ngram_range=(2, 5), min_df=1) -> FeatureUnion:
    # Words catch vocabulary ("prize", "claim"); character n-grams inside word boundaries catch
    # obfuscations, numbers and spelling variants ("fr33", "£1000", "txt").
    return FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=min_df)),
            (
                "chars",
                TfidfVectorizer(analyzer="char_wb", ngram_range=char_ngram_range, sublinear_tf=True, min_df=min_df),
            ),
        ]
    )


def svm_pipeline(seed=42, threshold=SPAM_THRESHOLD, char_ngram_range=(2, 5), min_df=1) -> Pipeline:
    """TF-IDF words + chars and a sigmoid-calibrated linear SVM, spam from ``threshold`` (the shape model.npz describes)."""
    calibrated = CalibratedClassifierCV(LinearSVC(C=1.0, random_state=seed), cv=5)
    return Pipeline(
        [
            ("features", _word_and_char_tfidf(char_ngram_range, min_df)),
            ("classifier", FixedThresholdClassifier(calibrated, threshold=threshold, response_method="predict_proba")),
        ]
    )


# What svm_selected chooses among (settings of svm_pipeline), besides its threshold.
SVM_SEARCH_SPACE = (
    {"char_ngram_range": (2, 5), "min_df": 1},  # the fixed "svm" candidate's features
    {"char_ngram_range": (1, 6), "min_df": 1},
    {"char_ngram_range": (1, 6), "min_df": 2},  # n-grams seen once are mostly noise
)


def build(kind: str, seed: int = 42):
    """Return an unfitted candidate by name (one of :data:`CANDIDATES`).

    ``svm_selected`` is a :class:`~spamcheck.training.selection.SelectedPipeline`, whose fitted
    ``best_estimator_`` is the Pipeline; :func:`servable` returns it.
    """
    if kind == "svm":
        return svm_pipeline(seed)
    if kind == "svm_selected":
        return SelectedPipeline(svm_pipeline, SVM_SEARCH_SPACE, seed=seed)
    if kind == "article":
        features, classifier = CountVectorizer(), RandomForestClassifier(random_state=seed, n_jobs=2)
    elif kind == "naive_bayes":
        features, classifier = CountVectorizer(ngram_range=(1, 2)), MultinomialNB(alpha=0.1)
    elif kind == "logreg":
        features = _word_and_char_tfidf()
        classifier = LogisticRegression(C=30, max_iter=3000, random_state=seed)
    else:
        raise ValueError(f"unknown model kind {kind!r}; choose one of {', '.join(CANDIDATES)}")
    return Pipeline([("features", features), ("classifier", classifier)])


def servable(fitted) -> Pipeline:
    """The fitted two-step Pipeline to save as feature.pkl + model.pkl (a selection's winner)."""
    return getattr(fitted, "best_estimator_", fitted)
