"""pharma-kit: the real, tested implementation behind every lesson of the course.

Lesson modules (``data``, ``quality``, ``rfm``, ``timeseries``, ``chunked``, ``fast``, ``pipeline``,
``resilience``, ``config``) are plain library code; import them directly, e.g. ``from pharma_kit import data``.
"""
__version__ = "0.1.0"
