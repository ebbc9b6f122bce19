"""What an operator watches: Prometheus metrics and structured logs with a request or job id."""

from spotcheck.observability import logs, metrics
from spotcheck.observability.logs import configure_logging
from spotcheck.observability.metrics import UploadRejection, exposition, start_metrics_server

__all__ = ["UploadRejection", "configure_logging", "exposition", "logs", "metrics", "start_metrics_server"]
