"""Cody Batch's domain: models, ports, policies and services, free of any outside system."""
