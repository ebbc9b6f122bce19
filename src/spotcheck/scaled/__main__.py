import sys

from spotcheck.scaled.stack import main

sys.exit(main())
