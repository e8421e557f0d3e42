"""``python -m course_utils.classroom.copies``: see :mod:`course_utils.classroom.copies`."""

import sys

from course_utils.classroom.copies import main

sys.exit(main())
