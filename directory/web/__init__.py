"""Web blueprints of the directory (the only modules of ``directory`` importing Flask)."""
