"""``python -m connector.simulator``: serve the Retell simulator."""

from .cli import main

main()
