"""nbval runs the notebooks in the small ``smoke`` profile unless CNNCOURSE_PROFILE says otherwise."""

import os

os.environ.setdefault("CNNCOURSE_PROFILE", "smoke")
