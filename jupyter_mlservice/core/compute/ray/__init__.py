"""Parts of the ray compute backend: the managed head, the multi-instance launcher."""
