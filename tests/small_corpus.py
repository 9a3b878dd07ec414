"""A corpus of a few dozen messages written here, and the production pipeline's shape fitted on it in
a second: for unit tests that need a real fitted model but not the downloaded collection (as
scikit-learn's own text tests use a handful of documents written in the test)."""

from __future__ import annotations

from functools import cache

HAM = [
    "Are we still on for lunch tomorrow?",
    "Sorry, I'll call later",
    "Ok lar... Joking wif u oni...",
    "I'm going home now, see you at 7",
    "Can you pick up some milk on the way back",
    "Happy birthday! Have a lovely day",
    "The meeting moved to 3pm, room 2",
    "Did you see the match last night? What a goal",
    "Mum says dinner is at 8, don't be late",
    "Thanks for the book, I finished it already",
    "Where are you? I'm waiting outside the station",
    "Let me know when you get home safe",
    "Nah I don't think he goes to usf, he lives around here though",
    "Yeah that's fine, see you on Sunday",
    "Café crème à la carte, naïve résumé",
]
SPAM = [
    "WINNER!! You have been selected to receive a £900 prize reward! Call 09061701461",
    "FREE entry in 2 a wkly comp to win FA Cup final tkts. Text FA to 87121",
    "URGENT! Your mobile number has won £2000. Claim now, call 09050000301",
    "Congratulations! You've won a FREE holiday. Reply WIN to 80086 to claim",
    "Txt STOP to end. Get 50% off ringtones, only 150p/msg",
    "You have 1 new voicemail. Call 0800 123 4567 now to hear it. £1.50/min",
    "Claim your FREE camera phone now! Text CAMERA to 85023",
    "SIX chances to win CASH! From 100 to 20,000 pounds txt CSH11 to 87575",
    "Your parcel is on hold: pay the £1.99 fee at https://parcel-example.com",
    "PRIVATE! Your 2003 account statement shows 800 un-redeemed points. Call 08719899230",
    "Double your mins and txts on Orange, call MobileUpd8 on 08000839402 for FREE",
    "Had your mobile 11 months or more? U R entitled to update to the latest colour phone FREE",
    "XXXMobileMovieClub: to use your credit click the WAP link www.example.com?n=qjkgighjjgcbl",
    "Hi Mum, this is my new number, can you text me back. Urgent, pay £300 today",
    "Win a £1000 cash prize or a prize worth £5000, txt WIN to 87121 now",
]
TEXTS = HAM + SPAM
LABELS = [0] * len(HAM) + [1] * len(SPAM)


@cache
def fitted_pipeline():
    """The production pipeline's shape (TF-IDF words + chars, calibrated linear SVMs) fitted on the
    corpus; read-only by convention, as every test shares it."""
    from spamcheck.training import models

    return models.svm_pipeline().fit(TEXTS, LABELS)


def exported_model(pipeline=None, compiled: bool | None = None):
    """``pipeline`` (default: :func:`fitted_pipeline`) written as model.npz and read back, as the
    service reads it."""
    from spamcheck.serving import model_file
    from spamcheck.serving.npz_model import NpzModel
    from spamcheck.training import linear_export

    pipeline = pipeline or fitted_pipeline()
    halves = pipeline.named_steps["features"], pipeline.named_steps["classifier"]
    return NpzModel(*model_file.parse(linear_export.export_bytes(*halves), "model.npz"), compiled=compiled)
