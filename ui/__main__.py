"""``python -m ui [--host H] [--port P] [--kiosk]``: serve the app.

Example: python -m ui --kiosk --port 8080
"""

from __future__ import annotations

import argparse
import logging

from index.settings import Settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m ui",
        description="Serve the notice-qa web app (staff desk by default).",
        epilog="Example: python -m ui --kiosk --port 8080  (more settings: NOTICE_QA_* variables)",
    )
    parser.add_argument("--host", help="address to listen on (default: NOTICE_QA_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default: NOTICE_QA_PORT or 7860)")
    parser.add_argument(
        "--kiosk", action="store_true", help="public kiosk: large type, no API link, idle reset"
    )
    args = parser.parse_args(argv)

    overrides: dict[str, object] = {}
    if args.host:
        overrides["host"] = args.host
    if args.port:
        overrides["port"] = args.port
    if args.kiosk:
        overrides["kiosk"] = True
    settings = Settings(**overrides)  # type: ignore[arg-type]

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from ui.app import serve

    serve(settings)


if __name__ == "__main__":
    main()
