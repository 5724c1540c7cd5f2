"""Course tooling (the only code that knows about notebooks): learner copies, headless runs, HTML."""
