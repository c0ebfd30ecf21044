"""Command-line adapter (typer + rich). Each module registers its own commands."""
