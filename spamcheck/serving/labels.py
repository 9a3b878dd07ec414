"""The two classes and their names, for every layer: label 0 is ham, label 1 is spam. Nothing here
imports anything, so the data loader, the export and the service share it at no cost."""

from typing import Literal

HAM_NAME, SPAM_NAME = "ham", "spam"
LABELS = (HAM_NAME, SPAM_NAME)  # LABELS[label] is the name of label 0 or 1
LabelName = Literal["ham", "spam"]  # the same two names, for pydantic (a Literal must spell them)
