"""The classification pipeline: events in, labels on stored objects out."""

from spotcheck.classification.worker import ClassificationWorker, Outcome, WorkerPool

__all__ = ["ClassificationWorker", "Outcome", "WorkerPool"]
