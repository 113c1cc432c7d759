"""The MLflow pyfunc model, logged as code ("models from code"): nothing is unpickled at load.

`mlflow.pyfunc.load_model("models:/vsv-risk@champion")` runs this file, which
loads the LightGBM text model and its calibration and tiers from the logged
`risk_model` artifact. Input: a frame with the feature columns of
`vsv_model.feature_spec`, and optionally `kind` (the moment each row is scored at: `stock`,
`report_first`, `report_repeat`, `new_leaver`; each row gets its kind's calibration and cut-offs); any other
column (gender, origin...) is ignored, a missing feature is refused by name. Output: `probability` and `tier` per row. Loading needs
the vsv-risk package installed (it is in the service, the CLI and the Bento).
"""

from __future__ import annotations

from pathlib import Path

import mlflow
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.pyfunc import PythonModel
from mlflow.types import ColSpec, Schema

from vsv_model.feature_spec import FEATURE_NAMES, FEATURES
from vsv_model.risk_model import RiskModel

# The signature's type per feature kind: what `vsv features` writes and what pandas reads back from its CSV and
# Parquet files (categoricals as text, counts and flags as integers, numbers as floats, missing as NaN).
SIGNATURE_TYPES = {"count": "long", "flag": "long", "number": "double", "category": "string"}


def model_signature() -> ModelSignature:
    """Exactly the features, typed as the project's feature files hold them; probability and tier out."""
    inputs = Schema([*(ColSpec(SIGNATURE_TYPES[f.kind], f.name) for f in FEATURES),
                     ColSpec("string", "kind", required=False)])
    outputs = Schema([ColSpec("double", "probability"), ColSpec("string", "tier")])
    return ModelSignature(inputs=inputs, outputs=outputs)


class VsvRiskPyfunc(PythonModel):
    def load_context(self, context) -> None:
        self.model = RiskModel.load(Path(context.artifacts["risk_model"]))

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        missing = [name for name in FEATURE_NAMES if name not in model_input.columns]
        if missing:
            raise ValueError(f"model input lacks feature column(s): {', '.join(missing)}")
        columns = [*FEATURE_NAMES, *(["kind"] if "kind" in model_input.columns else [])]
        rows = model_input[columns]
        probability = self.model.predict_frame(rows)
        return pd.DataFrame({"probability": probability, "tier": self.model.tiers_of_rows(probability, rows)})


mlflow.models.set_model(VsvRiskPyfunc())
