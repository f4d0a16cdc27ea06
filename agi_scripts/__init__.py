"""The FastAGI server and wire protocol."""
