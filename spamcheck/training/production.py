"""The production model's recipe, written once: the chosen kind fitted on every message, then exported
as the files the service loads. Notebook 07 shows it step by step and calls it (so `make train`, which
runs the notebook, does too); the tests train their model with it.

    python -m spamcheck.training [--kind svm_selected] [--out models]

does the same from the command line: download and verify the collection, fit, check the behaviour
cases, export. Its model card has no evaluation figures: notebook 07 measures those before it exports.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from spamcheck.paths import DEFAULT_MODEL_DIR
from spamcheck.training import behaviour, data, models
from spamcheck.training.export import export_model


def fit(messages: pd.DataFrame, kind: str = models.DEFAULT_KIND, seed: int = 42):
    """The production model: ``kind`` (default: what notebook 07 exports), fitted on every message."""
    return models.build(kind, seed).fit(messages["text"], messages["y"])


def behaviour_rates(pipeline) -> dict[str, float]:
    """The pass rate of each kind of hand-written behaviour case (spamcheck.training.behaviour)."""

    def predict(texts):
        return pipeline.predict(texts), pipeline.predict_proba(texts)[:, 1]

    return behaviour.pass_rates(behaviour.run(predict))


def export(
    pipeline,
    messages: pd.DataFrame,
    out_dir: Path | str,
    kind: str = models.DEFAULT_KIND,
    metrics: dict | None = None,
    evaluation: dict | None = None,
    behaviour: dict | None = None,
) -> dict:
    """Write the fitted ``pipeline`` into ``out_dir`` (pickles, model.npz, model card); return the card."""
    return export_model(
        pipeline,
        kind,
        models.DESCRIPTIONS[kind],
        metrics or {},
        out_dir,
        n_messages=len(messages),
        n_spam=int(messages["y"].sum()),
        evaluation=evaluation or {},
        behaviour=behaviour,
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kind", default=models.DEFAULT_KIND, choices=models.CANDIDATES)
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_DIR, help="where to write the model (models/)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    messages = data.load()
    print(f"fitting {args.kind} on {len(messages):,} messages ...", flush=True)
    pipeline = fit(messages, args.kind, args.seed)
    card = export(pipeline, messages, args.out, args.kind, behaviour=behaviour_rates(pipeline))
    print(f"{args.out}: model {card['model_version']}")
