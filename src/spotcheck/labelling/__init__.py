"""Labelling: workers that classify queued images and write the label onto the stored object."""

from spotcheck.labelling.worker import ClassificationWorker, Outcome, WorkerPool

__all__ = ["ClassificationWorker", "Outcome", "WorkerPool"]
