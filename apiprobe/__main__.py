from apiprobe.cli import main
import sys
sys.exit(main())
