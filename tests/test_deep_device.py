"""A PyTorch model saved in MLflow 3's default format (pt2, torch.export) is put on the
deployment's device: MLflow loads it on the CPU whatever the prediction device (on a GPU every
prediction then failed; scripts/gpu_check.sh shows it on a real GPU). Here the same code path runs
with the CPU named as a device ("cpu:0"), and the predictions must not change."""

from __future__ import annotations

import numpy as np


def test_an_exported_torch_model_is_moved_to_the_prediction_device(tmp_path, monkeypatch):
    import mlflow.pyfunc
    import mlflow.pytorch
    import torch
    from torch import nn

    from jupyter_mlservice.core.frameworks import load_pyfunc

    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 6 * 6, 2)).eval()
    x = np.random.default_rng(0).normal(size=(3, 1, 8, 8)).astype("float32")
    mlflow.pytorch.save_model(model, str(tmp_path / "m"), input_example=x[:2])  # the default format (batch > 1: a dynamic batch size)
    assert list((tmp_path / "m").glob("**/model.pt2"))
    expected = model(torch.from_numpy(x)).detach().numpy()

    monkeypatch.setenv("MLFLOW_DEFAULT_PREDICTION_DEVICE", "cpu:0")  # the code path a GPU takes, on the CPU
    loaded = load_pyfunc(tmp_path / "m")
    assert loaded._model_impl.device == "cpu:0"
    assert np.allclose(np.asarray(loaded.predict(x)), expected, atol=1e-5)

    monkeypatch.setenv("MLFLOW_DEFAULT_PREDICTION_DEVICE", "cpu")  # MLflow's own load
    assert np.allclose(np.asarray(load_pyfunc(tmp_path / "m").predict(x)), expected, atol=1e-5)
