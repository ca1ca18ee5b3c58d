"""The ``appevents`` command line: thin click commands over the library.

This package is the only place that reads environment variables.
"""
