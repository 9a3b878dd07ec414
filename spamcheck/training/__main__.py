"""`python -m spamcheck.training`: the production model's recipe (spamcheck.training.production)."""

from spamcheck.training.production import main

main()
