"""course_utils: the tested helper package behind the "All about Autoencoders" course.

The notebooks teach; this package serves them: data loading, models, reference losses,
the training loop, checkpoints, plots and widgets. Import the modules you need, e.g.

    from course_utils import data, models, losses, train, plots, widgets
"""

from course_utils.config import FAST, seed_everything
from course_utils.device import get_device

__all__ = ["FAST", "seed_everything", "get_device"]
