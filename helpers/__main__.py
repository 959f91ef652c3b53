"""`python -m helpers ...` runs the `byhand` command."""

from .cli import main

raise SystemExit(main())
