"""The teacher's tools: student copies, the HTML reading copy, the Korean edition, weights for a class.

    python -m course_utils.classroom student --out student/   # notebooks with blank exercises + solutions.md
    python -m course_utils.classroom html --out site/         # execute every notebook, HTML readable offline
    python -m course_utils.classroom site --out website/      # course website (Jupyter Book), both editions
    python -m course_utils.classroom edition ko               # build notebooks/ko/ from the translations
    python -m course_utils.classroom launch --overwrite       # Colab link and setup cell in every notebook
    python -m course_utils.classroom weights export w.tar     # cached checkpoints in one archive

Files already in the output folder are kept unless ``--overwrite`` is given (they may hold someone's work).

The "Your turn" checkers are not here: each chapter's are in its ``exercises`` module
(``course_utils.chK_name.exercises``), on the core engine :mod:`course_utils.exercises`.

- :mod:`.copies`: student copies and the HTML copy (the commands above, ``--lang ko`` for the Korean edition).
- :mod:`.site`: the course website (``site --out website/``), a Jupyter Book of both editions, offline.
- :mod:`.reading`: what makes the HTML copy readable offline (local MathJax, widgets as pictures, alt text).
- :mod:`.launch`: the Open-in-Colab badge and the guarded setup cell, from one repository setting.
- :mod:`.grading`: nbgrader's metadata and a grade cell for every exercise (generate_assignment, autograde).
- :mod:`.weights_archive`: the ``weights export`` command (students load it with ``COURSE_WEIGHTS``).
- :mod:`.edition`: the Korean edition (한국어판) from the English notebooks and one translation file each.
- :mod:`.mnist_sized`: MNIST-sized raw files made from the offline digits, to test the course at full size.
- :mod:`.hangul_font`: JupyterLab draws Hangul with the shipped NanumGothic on a machine without a Korean
  font (``python -m course_utils.classroom.hangul_font``, once).
"""
