"""What the page needs to know about the model that answers: its version and how often it errs."""

from __future__ import annotations

from fastapi import APIRouter

from spotcheck.api.deps import ClassifierDep
from spotcheck.api.schemas import ModelFacts
from spotcheck.classifier.metadata import ModelMetadata
from spotcheck.classifier.metric_keys import metric_by_kind

router = APIRouter(tags=["model"])


def model_facts(metadata: ModelMetadata) -> ModelFacts:
    """Per kind of photo (the ``test_*_<kind>`` metrics the model was released with): the share of
    harmless spots it flags (1 - specificity) and the share of cancers it flags (sensitivity)."""
    flagged = {kind: round(1.0 - value, 4) for kind, value in metric_by_kind(metadata.metrics, "specificity").items()}
    sensitivity = {kind: round(value, 4) for kind, value in metric_by_kind(metadata.metrics, "sensitivity").items()}
    return ModelFacts(
        version=metadata.version,
        threshold=metadata.threshold,
        dermatoscopic_threshold=route.threshold if (route := metadata.dermatoscopic_route) else None,
        flagged_harmless_share=flagged,
        sensitivity=sensitivity,
    )


@router.get("/model")
def model(classifier: ClassifierDep) -> ModelFacts:
    """The serving model's version, threshold and measured error rates (public, no sign-in)."""
    if classifier.metadata is not None:
        return model_facts(classifier.metadata)
    # A model behind a server: its version, and no figures.
    return ModelFacts(version=classifier.version, threshold=None, flagged_harmless_share={}, sensitivity={})
