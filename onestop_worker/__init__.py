"""A client for OneStop's external tasks that a city's IT runs next to its own systems: subclass ExternalWorker (or
register handlers on it), one handler per topic; HttpConnector is a ready handler that POSTs a job's parameters to
the address the diagram names. Standard library only. See README, "Talking to other systems"."""

from .client import ApiError, Job, LockLost, OneStopClient, Unreachable
from .http_connector import ConnectorError, HttpConnector
from .worker import BpmnError, ExternalWorker, topic

__all__ = ["ApiError", "BpmnError", "ConnectorError", "ExternalWorker", "HttpConnector", "Job", "LockLost",
           "OneStopClient", "Unreachable", "topic"]
