"""``python -m kiemchung.cli``: the same as the ``kiemchung`` command."""

from kiemchung.cli import main

main()
