"""The Jupyter server extension: config, thin handlers, auth, events, OpenAPI."""
