"""Featurisation and the small model classes AutoML's logged models are made of.

Everything here ends up inside a pickled MLflow model, so it stays importable on its own (pandas,
numpy and scikit-learn only) and free of the service's imports.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

# A categorical column with at most this many distinct values is one-hot encoded; above it,
# target encoded (one column instead of hundreds).
ONE_HOT_MAX_CATEGORIES = 20


class DateParts(BaseEstimator, TransformerMixin):
    """Datetime columns -> year, month, day, day of week, hour (hour only where it varies)."""

    def fit(self, X, y=None):
        frame = pd.DataFrame(X)
        self.columns_ = list(frame.columns)
        self.hours_ = {c: bool(pd.to_datetime(frame[c], errors="coerce").dt.hour.nunique() > 1) for c in self.columns_}
        return self

    def transform(self, X):
        frame = pd.DataFrame(X, columns=self.columns_)
        parts = []
        for c in self.columns_:
            t = pd.to_datetime(frame[c], errors="coerce")
            cols = [t.dt.year, t.dt.month, t.dt.day, t.dt.dayofweek] + ([t.dt.hour] if self.hours_[c] else [])
            parts.append(np.column_stack([s.fillna(-1).to_numpy(dtype=float) for s in cols]))
        return np.hstack(parts) if parts else np.empty((len(frame), 0))

    def get_feature_names_out(self, input_features=None):
        names = []
        for c in self.columns_:
            names += [f"{c}_year", f"{c}_month", f"{c}_day", f"{c}_dayofweek"] + ([f"{c}_hour"] if self.hours_[c] else [])
        return np.array(names, dtype=object)


def column_kinds(X: pd.DataFrame) -> dict[str, list[str]]:
    """numeric, categorical (few / many values) and datetime columns of a frame."""
    kinds: dict[str, list[str]] = {"numeric": [], "one_hot": [], "target": [], "datetime": []}
    for col in X.columns:
        s = X[col]
        if pd.api.types.is_bool_dtype(s):
            kinds["one_hot"].append(col)
        elif pd.api.types.is_numeric_dtype(s):
            kinds["numeric"].append(col)
        elif pd.api.types.is_datetime64_any_dtype(s):
            kinds["datetime"].append(col)
        else:
            kinds["one_hot" if s.nunique(dropna=True) <= ONE_HOT_MAX_CATEGORIES else "target"].append(col)
    return kinds


def build_featurizer(X: pd.DataFrame, mode: str, task: str):
    """The preprocessing part of every model AutoML tries (fit on the training rows).

    auto: impute (median / most frequent, with missing-value indicators), scale numbers, one-hot
    encode categories with few values and target-encode the others, date parts of datetime
    columns. off: numeric columns only, as they are (other columns are refused)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_selection import VarianceThreshold
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler, TargetEncoder

    kinds = column_kinds(X)
    if mode == "off":
        other = kinds["one_hot"] + kinds["target"] + kinds["datetime"]
        if other:
            raise ValueError(f"featurization='off' takes numeric columns only; {', '.join(map(repr, other))} are not: use featurization='auto'")
        return make_pipeline(ColumnTransformer([("numeric", FunctionTransformer(_as_float), kinds["numeric"])], remainder="drop"), VarianceThreshold(0.0))
    parts = []
    if kinds["numeric"]:
        parts.append(("numeric", make_pipeline(SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True), StandardScaler()), kinds["numeric"]))
    if kinds["one_hot"]:
        parts.append((
            "one_hot",
            make_pipeline(FunctionTransformer(_as_text), SimpleImputer(strategy="constant", fill_value="(missing)"), OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
            kinds["one_hot"],
        ))
    if kinds["target"]:
        target_type = "continuous" if task != "classification" else "auto"
        parts.append((
            "target_encoded",
            make_pipeline(FunctionTransformer(_as_text), SimpleImputer(strategy="constant", fill_value="(missing)"), TargetEncoder(target_type=target_type)),
            kinds["target"],
        ))
    if kinds["datetime"]:
        parts.append(("date_parts", make_pipeline(DateParts(), SimpleImputer(strategy="constant", fill_value=-1)), kinds["datetime"]))
    if not parts:
        raise ValueError("the data has no feature columns besides the target column")
    # Constant features are dropped here (FLAML would drop them from what its models see, and a
    # model saved with this featurizer would then get more columns than it was fit on).
    return make_pipeline(ColumnTransformer(parts, remainder="drop", sparse_threshold=0), VarianceThreshold(0.0))


def _as_float(X):
    return np.asarray(X, dtype=float)


def _as_text(X):
    frame = pd.DataFrame(X)
    return frame.apply(lambda s: s.map(lambda v: v if pd.isna(v) else str(v))).to_numpy(dtype=object)


def add_lags(frame: pd.DataFrame, target_column: str, time_column: str, lags: list[int]) -> pd.DataFrame:
    """Forecasting: order by time and add ``<target>_lag<L>`` columns (rows without every lag are
    dropped). A model then predicts the target from values at least ``min(lags)`` steps old."""
    out = frame.copy()
    out[time_column] = pd.to_datetime(out[time_column], errors="coerce")
    out = out.sort_values(time_column).reset_index(drop=True)
    for lag in lags:
        out[f"{target_column}_lag{lag}"] = out[target_column].shift(lag)
    return out.dropna(subset=[f"{target_column}_lag{lag}" for lag in lags]).reset_index(drop=True)


class WeightedEnsemble(BaseEstimator):
    """A weighted average of fitted pipelines' predictions (probabilities for classifiers)."""

    def __init__(self, members: list[Any], weights: list[float], task: str, classes: list[Any] | None = None):
        self.members = members
        self.weights = weights
        self.task = task
        self.classes = classes

    @property
    def classes_(self):
        return np.asarray(self.classes) if self.classes is not None else None

    def fit(self, X, y):
        for m in self.members:
            m.fit(X, y)
        if self.task == "classification":
            self.classes = list(self.members[0].classes_)
        return self

    def predict_proba(self, X):
        w = np.asarray(self.weights, dtype=float) / float(np.sum(self.weights))
        return sum(wi * m.predict_proba(X) for wi, m in zip(w, self.members))

    def predict(self, X):
        if self.task == "classification":
            return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
        w = np.asarray(self.weights, dtype=float) / float(np.sum(self.weights))
        return sum(wi * np.asarray(m.predict(X), dtype=float) for wi, m in zip(w, self.members))
