"""The recommendation for an uploaded image."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from spotcheck.api.deps import CurrentAccount, FileName, GalleryDep
from spotcheck.api.schemas import DetectionPending, DetectionResult, ErrorBody
from spotcheck.recommendation import DISCLAIMER, recommendation_for

router = APIRouter(tags=["detect"])


@router.get(
    "/detect/{fileName:path}",
    responses={
        202: {"model": DetectionPending, "description": "Still being analysed; ask again shortly"},
        400: {"model": ErrorBody, "description": "fileName is not UTF-8"},
        404: {"model": ErrorBody, "description": "No such image for this user"},
        422: {"model": ErrorBody, "description": "The stored image could not be analysed"},
    },
)
def detect(
    fileName: FileName, response: Response, account: CurrentAccount, gallery: GalleryDep
) -> DetectionResult | DetectionPending:
    detection = gallery.detect(owner_id=account.id, file_name=fileName)
    if detection.classification is None:
        response.status_code = status.HTTP_202_ACCEPTED
        response.headers["Retry-After"] = "1"
        return DetectionPending(file_name=fileName)
    assert detection.malignant_probability is not None and detection.model_version and detection.classified_at
    return DetectionResult(
        file_name=fileName,
        classification=detection.classification,
        recommendation=recommendation_for(detection.classification),
        malignant_probability=detection.malignant_probability,
        model_version=detection.model_version,
        classified_at=detection.classified_at,
        disclaimer=DISCLAIMER,
    )
