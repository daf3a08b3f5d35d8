"""Seva: service delivery for a state government, configured by definition files."""
