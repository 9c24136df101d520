"""``python -m habits`` runs the CLI."""

from habits.cli import main

main()
