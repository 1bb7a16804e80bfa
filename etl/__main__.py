from core.store import restrict_new_files
from etl.cli import main

restrict_new_files()
raise SystemExit(main())
