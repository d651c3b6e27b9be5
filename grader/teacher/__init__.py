"""Teachers' tools: the student template, its lock, bulk grading and new exercises."""
