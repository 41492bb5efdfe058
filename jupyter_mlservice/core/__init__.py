"""The domain: services, schemas, tables and compute backends. No tornado, no IPython."""
