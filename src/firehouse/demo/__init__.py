"""`firehouse demo`: a realistic incident history to try firehouse with, loaded in bulk."""

from firehouse.demo.load import DEMO_PASSWORD, MIN_INCIDENTS, DemoResult, load_demo

__all__ = ["DEMO_PASSWORD", "MIN_INCIDENTS", "DemoResult", "load_demo"]
