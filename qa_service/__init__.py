"""qa-service: call-recording quality assurance and speech analytics."""

__version__ = "0.1.0"
