"""Root pytest configuration: every notebook kernel (nbval, papermill) inherits a deterministic environment."""
import os

from pharma_kit.course.execute import prepare_env

prepare_env()
os.environ.setdefault("PHARMA_KIT_HOME", os.path.join(os.path.dirname(__file__), "build", "test-home"))
