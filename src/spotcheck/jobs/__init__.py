"""Object-created events, the outbox they are written to, and the queues that deliver them to workers."""

from spotcheck.jobs.base import Job, JobMaintenance, JobQueue, ObjectCreated
from spotcheck.jobs.memory import MemoryJobQueue
from spotcheck.jobs.relay import OutboxRelay
from spotcheck.jobs.sql import SqlJobMaintenance, SqlJobQueue, add_job, discard_jobs

__all__ = [
    "Job",
    "JobMaintenance",
    "JobQueue",
    "MemoryJobQueue",
    "ObjectCreated",
    "OutboxRelay",
    "SqlJobMaintenance",
    "SqlJobQueue",
    "add_job",
    "discard_jobs",
]
