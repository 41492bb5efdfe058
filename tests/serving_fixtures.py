"""Real MLflow models and Azure-style scoring scripts for the serving tests."""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

IRIS_COLUMNS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]]


def save_iris_model(path: Path, c: float = 1.0):
    """LogisticRegression on iris, saved with mlflow.sklearn.save_model (signature + example)."""
    import mlflow.sklearn
    from mlflow.models import infer_signature
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True, as_frame=True)
    X.columns = IRIS_COLUMNS
    model = LogisticRegression(max_iter=500, C=c).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlflow.sklearn.save_model(
            model,
            str(path),
            signature=infer_signature(X, model.predict(X)),
            serialization_format="cloudpickle",  # model.pkl, which Azure-style scripts joblib.load
            pip_requirements=["scikit-learn"],  # skips MLflow's (slow) requirement inference
        )
    return model


AZURE_SCRIPT = textwrap.dedent(
    '''
    import json
    import os

    import joblib
    import numpy as np
    from inference_schema.parameter_types.numpy_parameter_type import NumpyParameterType
    from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType
    from inference_schema.schema_decorators import input_schema, output_schema


    def init():
        global model
        model = joblib.load(os.path.join(os.getenv("AZUREML_MODEL_DIR"), "model.pkl"))
        print("init done; GREETING=" + os.environ.get("GREETING", "?"))


    @input_schema("data", NumpyParameterType(np.array([[5.1, 3.5, 1.4, 0.2]])))
    @output_schema(StandardPythonParameterType({"predictions": [0]}))
    def run(data, explode=False):
        if explode:
            raise ValueError("exploding on purpose")
        print("scoring %d row(s) with GREETING=%s" % (len(data), os.environ.get("GREETING")))
        return {"predictions": model.predict(np.asarray(data)).tolist()}
    '''
)

RAW_SCRIPT = textwrap.dedent(
    """
    import json

    def init():
        pass

    def run(raw_data):
        return {"echo": json.loads(raw_data), "type": type(raw_data).__name__}
    """
)

BROKEN_SCRIPT = textwrap.dedent(
    """
    def init():
        raise RuntimeError("cannot find the weights file")

    def run(raw_data):
        return raw_data
    """
)


def write_script(folder: Path, text: str, name: str = "score.py") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder
