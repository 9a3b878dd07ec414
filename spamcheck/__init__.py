"""spamcheck: the shared code behind the tutorial notebooks, the tests and the Flask service.

The notebooks tell the story; this package holds the logic they import, written once.
"""

__version__ = "1.0.0"
