import sys

from .loading import loaded


def main() -> int:
    """`newsletter-migrate` and `python -m migrate`: the command line, its modules loaded as
    loading.py says."""
    cli, = loaded("migrate.cli")
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
