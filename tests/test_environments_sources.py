"""What users give becomes pip requirements: lists, requirements files, Azure/MLflow conda files."""

from __future__ import annotations

import pytest

from jupyter_mlservice.core.environments import sources
from jupyter_mlservice.core.errors import InvalidRequest

AZURE_CONDA = """
name: model-env
channels:
  - conda-forge
dependencies:
  - python=3.8
  - pip
  - scikit-learn=1.2.2
  - conda-forge::numpy=1.24=py38h1234_0
  - pandas>=1.5
  - pip:
    - azureml-defaults
    - inference-schema[numpy-support]==1.5.0
"""


def test_conda_dependencies_become_pip_pins_and_the_pip_list_is_kept():
    req = sources.from_conda_yaml(AZURE_CONDA)
    assert req.lines == ["scikit-learn==1.2.2", "numpy==1.24.*", "pandas>=1.5", "azureml-defaults",
                         "inference-schema[numpy-support]==1.5.0"]
    assert req.conda_names == ["scikit-learn", "numpy", "pandas"]


def test_a_python_pin_is_a_warning_not_a_refusal():
    req = sources.from_conda_yaml(AZURE_CONDA)
    assert len(req.warnings) == 1 and "Python 3.8" in req.warnings[0] and "server's Python" in req.warnings[0]


@pytest.mark.parametrize(("conda", "pip"), [
    ("scikit-learn=1.2.2", "scikit-learn==1.2.2"),
    ("scikit-learn=1.2", "scikit-learn==1.2.*"),
    ("numpy=1.24.*", "numpy==1.24.*"),
    ("numpy 1.24.2", "numpy==1.24.2"),
    ("pytorch=2.0.1", "torch==2.0.1"),
    ("numpy>=1.20,<2", "numpy>=1.20,<2"),
    ("lightgbm", "lightgbm"),
    ("pip", None),
])
def test_conda_specs_translate(conda, pip):
    assert sources.conda_dependency(conda) == pip


def test_bad_requirements_say_which_line():
    with pytest.raises(InvalidRequest, match="'scikit-learn=1.2.2' is not a pip requirement"):
        sources.from_list(["numpy", "scikit-learn=1.2.2"])
    with pytest.raises(InvalidRequest, match="pip options are not supported"):
        sources.from_requirements_txt("--index-url http://x\nnumpy\n")
    with pytest.raises(InvalidRequest, match="no requirements"):
        sources.from_requirements_txt("# nothing\n")
    with pytest.raises(InvalidRequest, match="no 'dependencies:' list"):
        sources.from_conda_yaml("name: x\n")


def test_an_mlflow_model_folder_gives_its_requirements_and_python(tmp_path):
    (tmp_path / "MLmodel").write_text("flavors: {}\n")
    (tmp_path / "requirements.txt").write_text("mlflow==2.9.2\nscikit-learn==1.2.2\n")
    (tmp_path / "python_env.yaml").write_text("python: 3.9.18\nbuild_dependencies: [pip]\ndependencies: [-r requirements.txt]\n")
    req = sources.from_mlflow_model(tmp_path)
    assert req.lines == ["mlflow==2.9.2", "scikit-learn==1.2.2"]
    assert "Python 3.9.18" in req.warnings[0]
    assert sources.exact_pins(req.lines) == {"mlflow": "2.9.2", "scikit-learn": "1.2.2"}


def test_a_model_whose_pins_match_the_server_needs_no_environment(tmp_path):
    import importlib.metadata

    from jupyter_mlservice.core.environments.usage import disagreements

    sklearn = importlib.metadata.version("scikit-learn")
    (tmp_path / "requirements.txt").write_text(f"mlflow==0.1\nscikit-learn=={sklearn}+cpu\n")
    assert disagreements(tmp_path) == []  # MLflow's own pin and local labels do not count
    (tmp_path / "requirements.txt").write_text("scikit-learn==1.2.2\nno-such-package-here==1.0\n")
    assert disagreements(tmp_path) == [f"scikit-learn==1.2.2 (server: {sklearn})", "no-such-package-here==1.0 (not installed on the server)"]


def test_a_pin_the_server_meets_under_another_distribution_name_is_no_disagreement(tmp_path):
    """MLflow logs `tensorflow==X` (the module's name) where the server has `tensorflow-cpu==X`, and
    `torch==X` or `torch==X+cpu` for the server's torch X+cpu."""
    import importlib.metadata

    from jupyter_mlservice.core.environments.usage import SAME_MODULES, _installed, disagreements

    cloudpickle = importlib.metadata.version("cloudpickle")
    tensorflow = _installed("tensorflow")  # the server's TensorFlow, whatever its distribution is called
    if not tensorflow:
        pytest.skip("no TensorFlow on this server")
    name, version = next(iter(tensorflow.items()))
    (tmp_path / "requirements.txt").write_text(f"mlflow==3.0\ncloudpickle=={cloudpickle}\ntensorflow=={version}\n")
    assert disagreements(tmp_path) == []
    (tmp_path / "requirements.txt").write_text("tensorflow==2.0.0\n")
    shown = version if name == "tensorflow" else f"{name} {version}"
    assert disagreements(tmp_path) == [f"tensorflow==2.0.0 (server: {shown})"]  # names what the server has
    assert any("tensorflow-cpu" in group and "tensorflow" in group for group in SAME_MODULES)

    torch = importlib.metadata.version("torch")
    public = torch.split("+")[0]
    for pin in {public, f"{public}+cpu", torch}:
        (tmp_path / "requirements.txt").write_text(f"torch=={pin}\n")
        assert disagreements(tmp_path) == [], pin
