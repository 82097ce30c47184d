"""Inline completion: post-processing, caching and the request engine."""
