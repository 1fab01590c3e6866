import sys

from apiprobe.cli import main

if __name__ == "__main__":  # never again in a worker process that re-imports the main module
    sys.exit(main())
