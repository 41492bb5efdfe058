"""Evidently (a test-only anchor) imported under pandas 3.

Evidently 0.7 imports ``pandas.core.dtypes.common.infer_dtype_from_object``, which pandas 3
removed; only its legacy data-integrity tests call it, never the drift metrics compared here.
The stand-in maps a dtype-like to its scalar type, as the pandas 2 helper did.
"""

from __future__ import annotations

import numpy as np
import pandas.core.dtypes.common as _common

if not hasattr(_common, "infer_dtype_from_object"):
    _common.infer_dtype_from_object = lambda dtype: dtype if isinstance(dtype, type) else np.dtype(dtype).type

import evidently  # noqa: E402

__all__ = ["evidently"]
