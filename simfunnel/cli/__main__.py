"""``python -m simfunnel.cli``: the same as the ``simfunnel`` command."""

import sys

from simfunnel.cli import main

sys.exit(main())
