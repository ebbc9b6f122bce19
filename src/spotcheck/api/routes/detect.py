"""The recommendation for an uploaded image."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from spotcheck.api.deps import CurrentAccount, FileName, GalleryDep
from spotcheck.api.schemas import (
    SIGNED_IN_ERRORS,
    DetectionPending,
    DetectionRefused,
    DetectionResult,
    ErrorBody,
    RefusalPublic,
)
from spotcheck.classifier.base import Refusal
from spotcheck.recommendation import DISCLAIMER, recommendation_for

router = APIRouter(tags=["detect"], responses=SIGNED_IN_ERRORS)


@router.get(
    "/detect/{fileName:path}",
    responses={
        200: {
            "description": "The recommendation (status done), or why the photo cannot be judged (status refused: "
            "no classification, a reason and a tip for a better photo)"
        },
        202: {"model": DetectionPending, "description": "Still being analysed; ask again shortly"},
        400: {"model": ErrorBody, "description": "fileName is not UTF-8"},
        404: {"model": ErrorBody, "description": "No such image for this user"},
        422: {"model": ErrorBody, "description": "The stored image could not be analysed"},
    },
)
def detect(
    fileName: FileName, response: Response, account: CurrentAccount, gallery: GalleryDep
) -> DetectionResult | DetectionRefused | DetectionPending:
    spot_id = gallery.summary(owner_id=account.id, file_name=fileName).spot_id
    label = gallery.detect(owner_id=account.id, file_name=fileName)
    if label is None:
        response.status_code = status.HTTP_202_ACCEPTED
        response.headers["Retry-After"] = "1"
        return DetectionPending(file_name=fileName, spot_id=spot_id)
    assessment = label.assessment
    if isinstance(assessment, Refusal):
        refusal = RefusalPublic.of(assessment.reason)
        return DetectionRefused(
            file_name=fileName,
            reason=refusal.reason,
            message=refusal.message,
            tip=refusal.tip,
            model_version=label.model_version,
            checked_at=label.classified_at,
            disclaimer=DISCLAIMER,
            spot_id=spot_id,
        )
    return DetectionResult(
        file_name=fileName,
        classification=assessment.classification,
        recommendation=recommendation_for(assessment.classification),
        malignant_probability=assessment.malignant_probability,
        threshold=assessment.threshold,
        model_version=label.model_version,
        classified_at=label.classified_at,
        disclaimer=DISCLAIMER,
        spot_id=spot_id,
    )
