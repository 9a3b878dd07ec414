"""The one compiled part of spamcheck: the served model's per-message loops (spamcheck/serving/_score.c).

Everything else is in pyproject.toml. The extension is optional: without a C compiler and Python's
headers, `pip install` still succeeds, and the service uses the numpy kernel instead (several times
slower per message, docs/speed.md; it logs a warning saying so). The production image always compiles it
(docker/Dockerfile fails its build otherwise).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "spamcheck.serving._score",
            ["spamcheck/serving/_score.c"],
            extra_compile_args=["-O2"],
            optional=True,
        )
    ]
)
