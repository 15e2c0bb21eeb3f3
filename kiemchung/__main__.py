"""``python -m kiemchung``: the same as the ``kiemchung`` command."""

from kiemchung.cli import main

main()
