"""Behaviour tests for a spam model, written by hand and kept apart from training (after Ribeiro et
al., "Beyond Accuracy: Behavioral Testing of NLP Models with CheckList", ACL 2020):

* invariance: the label does not change under case, extra whitespace, spacing around punctuation,
  or an appended signature;
* direction: adding a typical spam call to action does not lower the spam probability;
* minimum functionality: present-day messages the 2012 collection never saw (delivery-fee and
  bank-account smishing, one-time codes, bank debit notices, appointment reminders), each with the
  label a person would give it.

Notebook 07 reports every failure and puts the pass rate in the model card; tests/test_behaviour.py
runs the same cases against the default model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Base messages for the invariance and direction tests: clear ham and clear spam from everyday life.
BASE_HAM = [
    "Hey, are we still on for lunch tomorrow?",
    "I'll be home late tonight, don't wait up for dinner",
    "Can you pick up some milk on your way back?",
    "Happy birthday! Hope you have a great day",
    "Running 10 minutes late, save me a seat",
    "Thanks for yesterday, it was really fun",
]
BASE_SPAM = [
    "WINNER!! You have been selected to receive a £900 prize reward! Call 09061701461 to claim.",
    "FREE entry in 2 a weekly competition to win FA Cup final tickets. Text FA to 87121 now!",
    "URGENT! Your mobile number has won a £2000 bonus caller prize. Call 09058094565 now",
    "Congratulations! You've won a free holiday to Spain. Reply WIN to 80086 to claim",
]
PERTURBATIONS = {
    "upper case": str.upper,
    "lower case": str.lower,
    "extra whitespace": lambda t: "  " + re.sub(r" ", "   ", t) + " \n",
    "spaces before punctuation": lambda t: re.sub(r"([,.!?])", r" \1", t),
    "appended signature": lambda t: t + "\n-- Sent from my phone",
}
CALLS_TO_ACTION = [
    " Call 09061701461 now to claim your prize!",
    " Reply WIN to 80086 for your FREE reward",
    " Click http://bit.ly/claim-now to collect",
]
# (message, expected label): written for this file, not taken from any data set
PRESENT_DAY = [
    ("Royal Mail: your parcel is awaiting delivery. Pay the £1.99 redelivery fee at royalmail-redeliver.com", 1),
    ("DHL: Your package could not be delivered due to unpaid customs fee. Pay now: dhl-parcel-fees.info", 1),
    ("Your bank account has been suspended due to unusual activity. Verify your details at secure-bank-login.co", 1),
    ("HMRC: You are due a tax refund of £265.40. Claim it here: hmrc-refund-claim.com", 1),
    ("Hi Mum, I've lost my phone, this is my new number. Can you send me £200 for rent? I'll pay you back", 1),
    ("Your Netflix payment was declined. Update your card details within 24h to avoid suspension: nflx-billing.com", 1),
    ("Your verification code is 482913. Do not share it with anyone.", 0),
    ("Your one-time passcode for online banking is 730215. It expires in 10 minutes.", 0),
    ("Barclays: A direct debit of £42.50 to British Gas was taken from your account today.", 0),
    ("Reminder: your dental appointment is on Tuesday 14 May at 09:30. Reply C to cancel.", 0),
    ("Your GP surgery: your flu vaccination appointment is confirmed for Friday at 10:15.", 0),
    ("Your Uber is arriving now. Look for the silver Toyota Prius.", 0),
]


@dataclass
class Case:
    kind: str  # invariance, direction or minimum functionality
    name: str
    text: str
    passed: bool
    detail: str


def run(predict) -> list[Case]:
    """Every behaviour case against ``predict(texts) -> (labels, spam probabilities)``."""
    cases = []
    base = BASE_HAM + BASE_SPAM
    labels, probabilities = predict(base)
    for name, change in PERTURBATIONS.items():
        changed_labels, _ = predict([change(t) for t in base])
        for text, before, after in zip(base, labels, changed_labels, strict=True):
            cases.append(Case("invariance", name, text, int(before) == int(after), f"label {before} -> {after}"))
    for text, before in zip(base, probabilities, strict=True):
        _, after = predict([text + cta for cta in CALLS_TO_ACTION])
        worst = float(min(after))
        cases.append(
            Case(
                "direction",
                "add a call to action",
                text,
                worst >= float(before) - 1e-9,
                f"P(spam) {before:.3f} -> at least {worst:.3f}",
            )
        )
    texts = [text for text, _ in PRESENT_DAY]
    labels, probabilities = predict(texts)
    for (text, expected), label, p in zip(PRESENT_DAY, labels, probabilities, strict=True):
        cases.append(
            Case(
                "minimum functionality",
                "present-day message",
                text,
                int(label) == expected,
                f"expected {expected}, got {int(label)} (P(spam) {p:.3f})",
            )
        )
    return cases


def pass_rates(cases: list[Case]) -> dict[str, float]:
    """Share of cases passed, per kind and overall."""
    rates = {}
    for kind in ("invariance", "direction", "minimum functionality", "all"):
        chosen = [c for c in cases if kind in ("all", c.kind)]
        rates[kind] = round(sum(c.passed for c in chosen) / len(chosen), 4)
    return rates
