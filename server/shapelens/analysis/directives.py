"""The `# shapelens: input=(...)` directive: where it is found (the analysis, interp/models.py) and which names
it reads (units.py groups a statement with the constants its directive names)."""
from __future__ import annotations

import re

DIRECTIVE_RE = re.compile(r"#\s*shapelens:\s*input\s*=\s*(\(.*\)|\[.*\])")
