import sys

from apiprobe.cli import main

sys.exit(main())
