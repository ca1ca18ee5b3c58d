"""A Django site for the tests: a model the handlers write, the receiver's App, URLs."""
