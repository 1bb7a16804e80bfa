"""Start the dashboard: ``python -m observatoire.serve [streamlit options]``.

Streamlit still detects a ``pages/`` folder beside the entry script as its legacy multipage
mode, and does so before app.py declares its pages with st.navigation: on a fresh server the
first visit of a deep link (``/carte?…``) then shows « Page not found ». Switching the
detection off before the server starts avoids it; everything else is ``streamlit run``.
"""

from __future__ import annotations

import sys

from observatoire.settings import PROJECT_ROOT

APP = PROJECT_ROOT / "app.py"


def command(*options: str, script: str | None = None) -> list[str]:
    """The command line that starts the dashboard (or another script) with these options."""
    return [
        sys.executable,
        "-m",
        "observatoire.serve",
        *(["--script", script] if script else []),
        *options,
    ]


def main(argv: list[str] | None = None) -> None:
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    args = list(sys.argv[1:] if argv is None else argv)
    script = str(APP)
    if args[:1] == ["--script"]:
        script, args = args[1], args[2:]
    # app.py declares its pages with st.navigation: no legacy pages-folder mode.
    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", script, *args]
    cli.main()


if __name__ == "__main__":
    main()
