"""Object-created events and the durable queue that delivers them to workers."""

from spotcheck.jobs.base import Job, JobQueue, ObjectCreated
from spotcheck.jobs.sql import SqlJobQueue

__all__ = ["Job", "JobQueue", "ObjectCreated", "SqlJobQueue"]
