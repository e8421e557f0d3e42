"""The teacher's tools: self-checking exercises, student copies and the HTML reading copy.

    python -m course_utils.classroom.copies student --out student/  # blank exercises + solutions.md
    python -m course_utils.classroom.copies html --out site/        # run every notebook, write HTML

- :mod:`.exercises`: the ``check_NAME(fn)`` checkers behind every "Your turn".
- :mod:`.copies`: student copies and the HTML copy (the command above).
"""
