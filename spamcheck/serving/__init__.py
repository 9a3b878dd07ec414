"""Run time: what the service needs to answer requests. The image holds only this layer (and
``spamcheck.paths``); nothing here imports ``spamcheck.training`` or ``spamcheck.tooling``."""
