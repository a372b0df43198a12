"""Scheduled jobs: the weekly retrain and the reps' digest, exactly once.

Nothing here imports model/ or TensorFlow: the retrain runs `recbot train` in a child process.
"""
