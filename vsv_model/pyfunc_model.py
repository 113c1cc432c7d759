"""The MLflow pyfunc model, logged as code ("models from code"): nothing is unpickled at load.

`mlflow.pyfunc.load_model("models:/vsv-risk@champion")` runs this file, which
loads the LightGBM text model and its calibration and tiers from the logged
`risk_model` artifact. Input: a frame with the feature columns of
`vsv_model.feature_spec`; any other column (gender, origin...) is ignored, a missing
feature is refused by name. Output: `probability` and `tier` per row. Loading needs
the vsv-risk package installed (it is in the service, the CLI and the Bento).
"""

from __future__ import annotations

from pathlib import Path

import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel

from vsv_model.feature_spec import FEATURE_NAMES
from vsv_model.risk_model import RiskModel


class VsvRiskPyfunc(PythonModel):
    def load_context(self, context) -> None:
        self.model = RiskModel.load(Path(context.artifacts["risk_model"]))

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        missing = [name for name in FEATURE_NAMES if name not in model_input.columns]
        if missing:
            raise ValueError(f"model input lacks feature column(s): {', '.join(missing)}")
        probability = self.model.predict_frame(model_input[list(FEATURE_NAMES)])
        return pd.DataFrame({"probability": probability, "tier": self.model.tiers(probability)})


mlflow.models.set_model(VsvRiskPyfunc())
