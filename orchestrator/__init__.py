"""Propose the orchestrator workflow an estate is missing (`dora propose-pipeline`)."""
