"""``python -m supercon3d`` runs the command-line interface."""

from supercon3d.cli.main import app

if __name__ == "__main__":
    app()
