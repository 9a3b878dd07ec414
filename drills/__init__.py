"""Fault drills: the real gunicorn server on 127.0.0.1 (and the image, where stated) under fuzzing,
a killed worker, a graceful stop, a tampered model and a long steady load. Not part of the service:
they live beside it, one module a job (common: the report, the HTTP client and the load; fuzz; stops;
tamper; soak; plans: how long each runs).

Each drill returns a :class:`drills.common.Report`: its figures, and whether they meet the bar.
`make drill` (``python -m drills``) runs them at full length and prints a table; tests/test_drills.py
runs the bounded versions (``plans.QUICK``). All traffic goes to 127.0.0.1, in loops that stop by themselves.
"""
