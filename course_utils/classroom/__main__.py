"""``python -m course_utils.classroom``: the commands of :mod:`course_utils.classroom.copies`, and ``site``
(:mod:`course_utils.classroom.site`, built on the copies, so chosen here, not in their parser)."""

import sys

if sys.argv[1:2] == ["site"]:
    from course_utils.classroom.site import main
else:
    from course_utils.classroom.copies import main

sys.exit(main())
