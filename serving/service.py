"""The BentoML service: score youths with a tier, an advised route and SHAP reasons.

The champion is declared at class level (BentoML resolves it before the server
starts, and `bentoml build` packs it into the Bento); `vsv serve` imports the
registry's champion into BentoML's model store and points VSV_MODEL_TAG at it.
All work happens in `serving.scoring`; this class only speaks HTTP.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
from pathlib import Path
from typing import Annotated

import bentoml
from pydantic import Field
from starlette.responses import JSONResponse

from serving import scoring
from serving.decisions import DecisionStore
from serving.errors import PlainValidationErrors, quiet_validation_logs
from serving.model_store import load_served
from serving.page import PageContext, page_app
from serving.schemas import MAX_YOUTHS, Explanation, FeatureInfo, ModelInfo, ScoreResponse, YouthInput
from serving.scores import ScoresSource
from vsv_model.feature_spec import FEATURES
from vsv_model.settings import Settings

MODEL_TAG = os.environ.get("VSV_MODEL_TAG", "vsv-risk:latest")


# Tracing spans cost a fifth of a request and go nowhere without an exporter: off unless asked for.
TRACING = {} if os.environ.get("VSV_TRACING") == "1" else {"excluded_urls": ".*"}


@bentoml.asgi_app(page_app, path="/ui")
@bentoml.service(
    name="vsv-risk",
    workers=int(os.environ.get("VSV_WORKERS", "2")),  # one per core on the 2-core target machine
    traffic={"timeout": 30},
    tracing=TRACING,
)
class VsvRisk:
    bento_model = bentoml.models.BentoModel(MODEL_TAG)

    def __init__(self) -> None:
        quiet_validation_logs()
        self.settings = Settings.from_env()
        self.served = load_served(Path(self.bento_model.path), self.settings.max_age)
        self.page = PageContext(self.served, ScoresSource(Path(self.settings.scores_path)), DecisionStore(self.settings.database_url))
        # Everything loaded so far lives as long as the worker: keep it out of the garbage collector's
        # full passes, which otherwise stall a request for 100+ ms now and then (the p99).
        gc.collect()
        gc.freeze()

    @bentoml.api(route="/score")
    async def score(
        self, youths: Annotated[list[YouthInput], Field(min_length=1, max_length=MAX_YOUTHS)]
    ) -> ScoreResponse:
        """Probability, tier, advised route and the top-5 reasons for 1 to 1,000 youths."""
        try:
            results = scoring.score(self.served, youths, dt.date.today())
        except scoring.RequestError as error:
            return JSONResponse(error.body(), status_code=error.status)
        return ScoreResponse(model_version=self.served.version, results=results)

    @bentoml.api(route="/explain")
    async def explain(self, youth: YouthInput) -> Explanation:
        """All contributions and the base value (they add up to the calibrated log-odds), plus the reasons."""
        try:
            return scoring.score(self.served, [youth], dt.date.today(), explain=True)[0]
        except scoring.RequestError as error:
            return JSONResponse(error.body(), status_code=error.status)

    @bentoml.api(route="/model")
    async def model(self) -> ModelInfo:
        """Version, run id, training date, metrics, tier cut-offs and the features with their Dutch labels."""
        return model_info(self.served)


def model_info(served: scoring.ServedModel) -> ModelInfo:
    model = served.model
    return ModelInfo(
        name=served.name, version=served.version, run_id=served.run_id,
        trained_at=model.info.get("trained_at", ""), as_of_dates=model.info.get("as_of_dates", []),
        metrics=model.info.get("metrics", {}),
        tier_cutoffs={"medium": model.cutoffs.medium, "high": model.cutoffs.high},
        tier_sizing={"mode": model.cutoffs.mode, **model.cutoffs.details},
        features=[FeatureInfo(name=f.name, label_nl=f.label_nl, changeable=f.changeable, justification=f.justification)
                  for f in FEATURES],
    )


VsvRisk.add_asgi_middleware(PlainValidationErrors)
