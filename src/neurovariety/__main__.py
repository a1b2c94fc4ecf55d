"""``python -m neurovariety``: the same command line as ``neurovariety``."""

from .cli import main

main()
