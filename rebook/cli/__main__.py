"""python -m rebook.cli ... (the same as the `rebook` console script)."""

from rebook.cli.main import main

raise SystemExit(main())
