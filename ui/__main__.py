"""``python -m ui [--host H] [--port P] [--kiosk]``: serve the app — the same as ``notice-qa serve``.

Example: python -m ui --kiosk --port 8080
"""

from __future__ import annotations

import sys

from ui.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
