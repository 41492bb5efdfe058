"""Lineage: a table of edges between things the workspace knows (a data version, a job, a model
version, a deployment; later evaluations, rollouts, triggers, pipeline runs), read both ways.

Areas record an edge when they see one happen (a job read a data version at Preparing, a model was
registered from a job's run, a deployment started serving a model version); readers walk the
edges downstream (what was made from this) or upstream (what this was made from).
"""

from .service import DATA_VERSION, DEPLOYMENT, EVALUATION, JOB, MODEL_VERSION, ROLLOUT, TRIGGER, LineageService, Node

__all__ = ["DATA_VERSION", "DEPLOYMENT", "EVALUATION", "JOB", "MODEL_VERSION", "ROLLOUT", "TRIGGER", "LineageService", "Node"]
