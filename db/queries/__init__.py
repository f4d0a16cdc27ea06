"""Reads (and the small synchronous writes of the console and the CLI), one module per noun.
Functions take plain arguments and return plain dataclasses; they raise domain errors."""
